"""The container images a cluster's nodes pull before Argo CD exists, by distribution and version.

Facts, not guesses: ``nodes/images.json`` is derived by ``scripts/build_reference_data.py``
and records its sources.

- **RKE2**: each stable release's image lists, as its ``scripts/build-images`` writes them
  (the ``rke2-images-core`` and ``rke2-images-canal`` release assets): the runtime,
  hardened-kubernetes, CoreDNS, etcd, klipper-helm, pause, ... and Canal's images.
- **kubeadm**: what ``kubeadm config images list`` names: kube-apiserver,
  kube-controller-manager, kube-scheduler and kube-proxy at the Kubernetes version, and
  CoreDNS, pause and etcd at the versions the kubeadm release pins.

A version may be a patch (``1.35.2``, ``v1.35.2``) or a minor (``1.35``, kubeadm's
``stable-1.35``). A minor resolves to the newest release these facts know, which is what
a node installing "the newest 1.35" got when they were built; the result says so, since
a newer release may exist by the time the nodes install.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

VERSION = re.compile(r"(?:stable-)?v?(\d+)\.(\d+)(?:\.(\d+))?")
KUBEADM_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")


class UnknownNodeReleaseError(Exception):
    """The facts hold no release for this distribution and version; the message says which."""


@dataclass(frozen=True)
class NodeRelease:
    """One distribution release and the images its nodes pull."""

    distribution: str
    release: str
    images: tuple[str, ...]
    source: str
    resolved_from: str | None = None
    """The minor version the release was resolved from, when the version named no patch."""


@cache
def node_image_facts() -> dict[str, Any]:
    """The shipped facts (``nodes/images.json``)."""
    text = resources.files("stackyard.catalog").joinpath("nodes/images.json").read_text("utf-8")
    facts: dict[str, Any] = json.loads(text)
    return facts


def rke2_release(version: str, cni: str) -> NodeRelease:
    """The RKE2 release for Kubernetes ``version`` and the images of its core and ``cni``.

    ``cni`` is the value of the server's ``cni`` option: ``none`` adds no CNI images (the
    CNI then comes from a chart), ``canal`` adds Canal's.

    Raises:
        UnknownNodeReleaseError: no known release for ``version``, or a CNI without a list.
    """
    minor, given = _version(version)
    facts = node_image_facts()["rke2"]
    patch = given if given is not None else _newest(minor)
    candidates = [
        tag
        for tag, release in facts["releases"].items()
        if release["kubernetes"] == f"{minor}.{patch}"
    ]
    if not candidates:
        raise UnknownNodeReleaseError(f"no RKE2 release for Kubernetes {minor}.{patch} is known")
    tag = max(candidates, key=lambda t: int(t.rsplit("rke2r", 1)[1]))
    lists = facts["releases"][tag]["images"]
    images = list(lists["core"])
    if cni != "none":
        if cni not in lists:
            raise UnknownNodeReleaseError(f"RKE2 {tag}: the images of CNI {cni!r} are not known")
        images += [image for image in lists[cni] if image not in images]
    return NodeRelease("rke2", tag, tuple(images), facts["source"], None if given else minor)


def kubeadm_release(version: str, *, kube_proxy: bool = True) -> NodeRelease:
    """What ``kubeadm config images list`` names for Kubernetes ``version``.

    Without ``kube_proxy`` (``skipPhases: [addon/kube-proxy]``) kube-proxy's image is left
    out: kubeadm never deploys it, so no node pulls it.

    Raises:
        UnknownNodeReleaseError: kubeadm's pinned versions for this minor are not known.
    """
    minor, given = _version(version)
    facts = node_image_facts()["kubeadm"]
    constants = facts["constants"].get(minor)
    if constants is None:
        raise UnknownNodeReleaseError(f"kubeadm's images for Kubernetes {minor} are not known")
    release = f"v{minor}.{given if given is not None else _newest(minor)}"
    registry = facts["registry"]
    components = KUBEADM_COMPONENTS + (("kube-proxy",) if kube_proxy else ())
    images = [f"{registry}/{name}:{release}" for name in components]
    images += [
        f"{registry}/coredns/coredns:{constants['coredns']}",
        f"{registry}/pause:{constants['pause']}",
        f"{registry}/etcd:{constants['etcd']}",
    ]
    resolved = None if given else minor
    source = constants["source"]
    if constants.get("secondary"):  # say so wherever the source is shown
        source = f"{source} ({constants['secondary']})"
    return NodeRelease("kubeadm", release, tuple(images), source, resolved)


def _version(version: str) -> tuple[str, str | None]:
    match = VERSION.fullmatch(version.strip())
    if match is None:
        raise UnknownNodeReleaseError(f"{version!r} is not a Kubernetes version")
    return f"{match.group(1)}.{match.group(2)}", match.group(3)


def _newest(minor: str) -> str:
    newest = node_image_facts()["newestKubernetes"].get(minor)
    if newest is None:
        raise UnknownNodeReleaseError(f"no release of Kubernetes {minor} is known")
    return str(newest).rsplit(".", 1)[1]
