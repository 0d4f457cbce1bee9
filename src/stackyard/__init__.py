"""Stackyard: declare, plan, render, validate and assess one Kubernetes platform."""

__version__ = "0.1.0"
