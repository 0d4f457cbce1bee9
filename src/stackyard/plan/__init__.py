"""The planner: which component runs where and why, in what order, and what is wrong."""

from stackyard.findings import Finding
from stackyard.plan.build import make_plan
from stackyard.plan.checks import ALL_CHECKS
from stackyard.plan.model import (
    ClusterPlan,
    Decision,
    Edge,
    Plan,
    PlannedComponent,
)
from stackyard.plan.policy import AppliedRule, ClusterPolicy, PodSecurity
from stackyard.plan.realm import signs_in_through_realm
from stackyard.plan.settings import Setting, Settings

__all__ = [
    "ALL_CHECKS",
    "AppliedRule",
    "ClusterPlan",
    "ClusterPolicy",
    "Decision",
    "Edge",
    "Finding",
    "Plan",
    "PlannedComponent",
    "PodSecurity",
    "Setting",
    "Settings",
    "make_plan",
    "signs_in_through_realm",
]
