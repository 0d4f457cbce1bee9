"""Which Kubernetes distribution a repository bootstraps: kubeadm, RKE2, K3s or Talos.

Advice is only useful in the reader's own terms: ``etcd-s3: true`` means nothing on a
kubeadm cluster. The distribution is read from the files that bootstrap its nodes,
each sign kept with its file and line:

- kubeadm: a document of API group ``kubeadm.k8s.io`` (``ClusterConfiguration``,
  ``InitConfiguration``, ``JoinConfiguration``), or a ``kubeadm init|join`` command;
- RKE2 and K3s share one configuration format (``/etc/rancher/<name>/config.yaml``,
  keys such as ``tls-san``, ``token``, ``etcd-snapshot-schedule-cron``). A config
  file names its distribution by its path (``rke2`` or ``k3s`` in it), by the install
  path or installer it mentions (``/etc/rancher/rke2``, ``get.k3s.io``), or by a key
  only one of them has (RKE2's ``cni``, ``profile``; K3s' ``flannel-backend``);
- Talos: a machine configuration (``version: v1alpha1`` with ``machine`` and
  ``cluster``, or a multi-document config of ``apiVersion: v1alpha1``), or
  ``talosctl`` applying or generating one.

A repository may hold several (a fleet of RKE2 and kubeadm clusters); none is
"unknown", and advice is then distribution-neutral.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import get_args

from stackyard.assess.inputs.located import Located
from stackyard.assess.inputs.machineconfig import is_talhelper, is_talos
from stackyard.assess.model import Distribution, Evidence, noted
from stackyard.yamlio import LocatedDocument

DISTRIBUTIONS: tuple[Distribution, ...] = get_args(Distribution)

# Keys of the configuration file RKE2 and K3s share (two or more make one).
RANCHER_KEYS = frozenset(
    {
        "tls-san",
        "token",
        "token-file",
        "server",
        "write-kubeconfig-mode",
        "node-taint",
        "node-label",
        "etcd-snapshot-schedule-cron",
        "etcd-snapshot-retention",
        "etcd-s3",
        "kube-apiserver-arg",
        "cluster-cidr",
        "service-cidr",
        "disable",
        "cluster-init",
    }
)
_RKE2_ONLY_KEYS = frozenset({"cni", "profile", "ingress-controller", "enable-servicelb"})
_K3S_ONLY_KEYS = frozenset({"flannel-backend", "disable-network-policy", "flannel-iface"})

_TEXT_SIGNS: tuple[tuple[Distribution, re.Pattern[str]], ...] = (
    ("kubeadm", re.compile(r"\bkubeadm\s+(?:init|join)\b")),
    (
        "rke2",
        re.compile(
            r"/etc/rancher/rke2\b|\bget\.rke2\.io\b|\bINSTALL_RKE2_|\brke2-(?:server|agent)\b"
        ),
    ),
    (
        "k3s",
        re.compile(
            r"/etc/rancher/k3s\b|\bget\.k3s\.io\b|\bINSTALL_K3S_|\bk3s\s+(?:server|agent)\b"
        ),
    ),
    # Global flags may come first: talosctl -n 10.0.0.2 apply-config -f cp.yaml
    ("talos", re.compile(r"\btalosctl\b[^|;&]*?\s(?:apply-config|gen\s+config|bootstrap)\b")),
)


@dataclass(frozen=True)
class DistributionSign:
    """Evidence that the repository bootstraps nodes of one distribution."""

    distribution: Distribution
    evidence: Evidence


def signs_in_text(text: str, file: str, first_line: int = 1) -> Iterator[DistributionSign]:
    """The first line of ``text`` naming each distribution (its install path, installer, CLI)."""
    seen: set[Distribution] = set()
    for offset, line in enumerate(text.splitlines()):
        for distribution, pattern in _TEXT_SIGNS:
            if distribution not in seen and pattern.search(line):
                seen.add(distribution)
                number = first_line + offset
                yield DistributionSign(
                    distribution, Evidence(file, number, number, line.strip()[:120])
                )


def signs_in_document(
    document: LocatedDocument, file: str, *, node_config: bool
) -> Iterator[DistributionSign]:
    """What one YAML document says about the distribution (see the module docs).

    The RKE2/K3s keys are common words (``server``, ``token``), so they count only in a
    file already known to configure nodes (``node_config``).
    """
    data = document.data
    if not isinstance(data, Mapping):
        return
    api = str(data.get("apiVersion", ""))
    if api.startswith("kubeadm.k8s.io/"):
        kind = str(data.get("kind", "kubeadm configuration"))
        evidence = Located(document).evidence("kind", text=noted(f"kind: {kind}", "kubeadm"))
        yield DistributionSign("kubeadm", evidence)
    elif _talos(data, api) or is_talos(data, file):
        evidence = _whole(document, "Talos machine configuration")
        yield DistributionSign("talos", evidence)
    elif is_talhelper(data, file):
        evidence = _whole(document, "talhelper cluster configuration (Talos)")
        yield DistributionSign("talos", evidence)
    elif node_config and len(RANCHER_KEYS.intersection(data)) >= 2:
        distribution = _rancher(file.lower(), data.keys())
        if distribution is not None:
            text = f"{'RKE2' if distribution == 'rke2' else 'K3s'} configuration"
            yield DistributionSign(distribution, _whole(document, text))


def _whole(document: LocatedDocument, what: str) -> Evidence:
    """The whole document, quoting its first key as written and saying what it is."""
    data = document.data if isinstance(document.data, Mapping) else {}
    key = next(iter(data), "")
    located = Located(document)
    quote = located.evidence(key).quote if key != "" else ""
    return replace(located.evidence(), text=noted(quote, what))


def ordered(signs: Iterable[DistributionSign]) -> tuple[Distribution, ...]:
    """The distributions ``signs`` name, each once, in :data:`DISTRIBUTIONS` order."""
    found = {s.distribution for s in signs}
    return tuple(d for d in DISTRIBUTIONS if d in found)


def _talos(data: Mapping[str, object], api: str) -> bool:
    if data.get("version") == "v1alpha1":
        return isinstance(data.get("machine"), Mapping) and isinstance(data.get("cluster"), Mapping)
    return api == "v1alpha1" and "kind" in data  # no Kubernetes API has no group and v1alpha1


def _rancher(path: str, keys: Iterable[object]) -> Distribution | None:
    names = {str(k) for k in keys}
    if "rke2" in path:
        return "rke2"
    if "k3s" in path:
        return "k3s"
    if names & _RKE2_ONLY_KEYS:
        return "rke2"
    if names & _K3S_ONLY_KEYS:
        return "k3s"
    return None
