"""Stackyard: declare, plan, render, validate, assess and simulate one Kubernetes platform."""

__version__ = "0.1.0"
