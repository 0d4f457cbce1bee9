"""Detectors: small registered objects that answer one question about a repository."""

from stackyard.assess.detectors.base import Detector, DetectorResult, FunctionDetector
from stackyard.assess.detectors.registry import ALL_DETECTORS, detectors_by_name

__all__ = ["ALL_DETECTORS", "Detector", "DetectorResult", "FunctionDetector", "detectors_by_name"]
