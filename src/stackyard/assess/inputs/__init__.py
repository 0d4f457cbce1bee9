"""Read any platform repository into typed facts, robustly and one file at a time."""

from stackyard.assess.inputs.build import IndexBuilder, ObjectObserver, index_repository
from stackyard.assess.inputs.index import RepositoryIndex, ValuesStack
from stackyard.assess.inputs.located import Hit, Located
from stackyard.assess.inputs.nodeconfig import NodeSetting
from stackyard.assess.inputs.objects import Container, KubeObject, Workload
from stackyard.assess.inputs.releases import Release, ReleaseSource, ValuesLayer
from stackyard.assess.inputs.terraform import TerraformBlock
from stackyard.assess.inputs.texts import TextFile

__all__ = [
    "Container",
    "Hit",
    "IndexBuilder",
    "KubeObject",
    "Located",
    "NodeSetting",
    "ObjectObserver",
    "Release",
    "ReleaseSource",
    "RepositoryIndex",
    "TerraformBlock",
    "TextFile",
    "ValuesLayer",
    "ValuesStack",
    "Workload",
    "index_repository",
]
