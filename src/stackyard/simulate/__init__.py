"""Failure-domain and SLO simulation: plan + rendered settings → incident timelines."""

from stackyard.simulate.run import IncidentReport, prepare, run_scenario

__all__ = ["IncidentReport", "prepare", "run_scenario"]
