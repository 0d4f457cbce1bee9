"""The sorted sweep of SY102 finds exactly what comparing every pair of clusters finds.

The check once compared every range of every pair of clusters; it now sorts the ranges
by address. The pairwise check is kept here as the reference, and random address plans
(seeded: many clusters, CIDRs and first-last ranges in a small space so that they
overlap, repeats, gaps, some IPv6) must give the same findings in the same order, with
the same messages, locations and clusters.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable
from itertools import combinations
from types import SimpleNamespace
from typing import Any

import pytest

from stackyard.errors import Location
from stackyard.findings import Finding
from stackyard.plan.checks.base import FunctionCheck
from stackyard.plan.checks.network import _LABELS, _ranges, overlap_across_clusters
from stackyard.spec.units import AddressRange


def pairwise(context: Any, emit: Any) -> Iterable[Finding]:
    """SY102 as it was: every pair of clusters, every pair of their ranges."""
    mesh = context.settings.networking.clusterMesh.value
    eni = context.settings.networking.ciliumRoutingMode.value == "eni"
    clusters = list(enumerate(context.platform.clusters))
    for (i, a), (j, b) in combinations(clusters, 2):
        for key_a, range_a, _ in _ranges(a, i, eni):
            for key_b, range_b, path_b in _ranges(b, j, eni):
                if "serviceCIDR" in (key_a, key_b) or not range_a.overlaps(range_b):
                    continue
                if key_a == key_b == "podCIDR" and not mesh:
                    continue
                why = (
                    " (Cluster Mesh needs unique pod CIDRs)" if key_a == key_b == "podCIDR" else ""
                )
                yield emit(
                    f"{_LABELS[key_b]} {range_b} of {b.name} overlaps the "
                    f"{_LABELS[key_a]} {range_a} of {a.name}{why}",
                    path_b,
                    hint="give each cluster its own addresses",
                    cluster=b.name,
                )


REFERENCE = FunctionCheck("SY102", "", "error", "", pairwise)


def random_range(rng: random.Random) -> AddressRange:
    """A CIDR or first-last range in a small space, so that many of them overlap."""
    if rng.random() < 0.05:
        base, bits = int(ipaddress.ip_address("fd00::")), 128
    else:
        base, bits = int(ipaddress.ip_address("10.0.0.0")), 32
    make = ipaddress.ip_address
    if rng.random() < 0.5:
        host_bits = rng.randint(2, 10)  # blocks of 4 to 1,024 addresses
        start = base + (rng.randrange(4096 >> host_bits) << host_bits)
        return AddressRange.parse(f"{make(start)}/{bits - host_bits}")
    first = base + rng.randrange(4096)
    last = min(first + rng.choice([0, 1, 9, 63, 700]), base + 4095)
    return AddressRange.parse(f"{make(first)}-{make(last)}")


def random_context(seed: int) -> SimpleNamespace:
    rng = random.Random(seed)
    shared = [random_range(rng) for _ in range(3)]  # ranges that clusters repeat

    def pick(optional: bool) -> AddressRange | None:
        if optional and rng.random() < 0.15:
            return None
        return rng.choice(shared) if rng.random() < 0.2 else random_range(rng)

    clusters = [
        SimpleNamespace(
            name=f"c{index}",
            network=SimpleNamespace(
                nodeRange=pick(False),
                podCIDR=pick(True),
                serviceCIDR=pick(True),
                loadBalancerPool=pick(True),
            ),
        )
        for index in range(rng.randint(0, 60))
    ]
    networking = SimpleNamespace(
        clusterMesh=SimpleNamespace(value=rng.random() < 0.5),
        ciliumRoutingMode=SimpleNamespace(value=rng.choice(["eni", "tunnel", "native"])),
    )

    def locate(path: tuple[str | int, ...], *, key: bool = False) -> Location:
        return Location("platform.yaml", 1 + int(path[1]) * 10 + len(str(path[-1])))

    return SimpleNamespace(
        settings=SimpleNamespace(networking=networking),
        platform=SimpleNamespace(clusters=clusters),
        locate=locate,
    )


@pytest.mark.parametrize("seed", range(150))
def test_sweep_finds_what_the_pairwise_check_finds(seed: int) -> None:
    context: Any = random_context(seed)
    expected = list(REFERENCE.run(context))
    assert list(overlap_across_clusters.run(context)) == expected


def test_the_random_plans_overlap_in_every_way() -> None:
    """The generator exercises what the check distinguishes, or the comparison is weak."""
    messages = [
        f.message
        for seed in range(150)
        for f in REFERENCE.run(random_context(seed))  # type: ignore[arg-type]
    ]
    assert len(messages) > 1000
    assert any("Cluster Mesh" in m for m in messages)
    for label in ("node range", "pod CIDR", "load-balancer pool"):
        assert any(m.startswith(label) for m in messages)
    assert not any("service CIDR" in m for m in messages)
