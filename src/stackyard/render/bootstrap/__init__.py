"""Node bootstrap files per cluster: what must exist before Argo CD can run.

Builders return :class:`NodeFile` items under ``nodes/<cluster>/``; these files are
not synced by Argo CD (they configure the nodes that will run it). Each builder writes
the files of one distribution and nothing on the others; the registry is the explicit
tuple below.
"""

from stackyard.render.bootstrap.base import BootstrapBuilder, NodeFile
from stackyard.render.bootstrap.kubeadm import kubeadm_files
from stackyard.render.bootstrap.mirrors import mirror_files
from stackyard.render.bootstrap.rke2 import rke2_files

ALL_BOOTSTRAP: tuple[BootstrapBuilder, ...] = (rke2_files, kubeadm_files, mirror_files)

__all__ = ["ALL_BOOTSTRAP", "BootstrapBuilder", "NodeFile"]
