"""Kubernetes and Helm conventions every layer reads objects by.

Label-selector semantics, where each workload kind keeps its pod template, and how
Helm merges values files: rendering, validation and assessment all need them, so
they live here once, below every layer, importing nothing of Stackyard.
"""

from stackyard.kube.selectors import selector_matches
from stackyard.kube.values import merge_values
from stackyard.kube.workloads import POD_SPEC_PATHS, pod_spec

__all__ = ["POD_SPEC_PATHS", "merge_values", "pod_spec", "selector_matches"]
