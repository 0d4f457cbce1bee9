"""The AWS infrastructure of clusters that cannot be made by another, as Terraform.

``infrastructure/<cluster>/`` per mgmt or standalone RKE2 cluster on AWS (``stack.py``).
"""

from stackyard.render.infrastructure.stack import (
    ROOT,
    SKIPS,
    infrastructure_files,
    renders_infrastructure,
)

__all__ = ["ROOT", "SKIPS", "infrastructure_files", "renders_infrastructure"]
