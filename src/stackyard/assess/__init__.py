"""Evidence-based maturity assessment of any platform repository (``stackyard assess``)."""

from stackyard.assess.maturity import MaturityModel, load_model
from stackyard.assess.model import Assessment
from stackyard.assess.run import assess_directory

__all__ = ["Assessment", "MaturityModel", "assess_directory", "load_model"]
