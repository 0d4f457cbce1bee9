"""Checks on each container: resources, probes, security context, image.

Which containers a check reads follows Polaris: resources concern the regular
containers; probes are judged per pod, over the containers that run for the pod's
life, and are not expected of Jobs and CronJobs; security and image checks read init
containers too, since they run on the same node with the same rights.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.assess.workloads.base import (
    BATCH_KINDS,
    Candidate,
    Container,
    Emit,
    PathKey,
    Workload,
    check,
    dig,
    snippet,
)


def _missing_resource(workload: Workload, emit: Emit, group: str, name: str) -> Iterable[Candidate]:
    for container in workload.containers(init=False):
        if dig(container.spec, ("resources", group, name)) in (None, ""):
            path, text = _nearest(workload, container, ("resources", group), ("resources",))
            yield emit(f"resources.{group}.{name} is not set", path, text, container=container)


@check(
    "WL001",
    "CPU requests are missing",
    "warning",
    polaris="cpuRequestsMissing",
    kube_score=("container-resources",),
)
def cpu_requests(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """CPU requests are missing.

    Without a CPU request the scheduler places the pod as if it needed nothing, and
    under contention it gets the smallest share; quotas and capacity planning cannot
    count it.
    """
    return _missing_resource(workload, emit, "requests", "cpu")


@check(
    "WL002",
    "Memory requests are missing",
    "warning",
    polaris="memoryRequestsMissing",
    kube_score=("container-resources",),
)
def memory_requests(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Memory requests are missing.

    Without a memory request the pod can land on a node that has no room for it and is
    among the first evicted under memory pressure.
    """
    return _missing_resource(workload, emit, "requests", "memory")


@check(
    "WL003",
    "CPU limits are missing",
    "warning",
    polaris="cpuLimitsMissing",
    kube_score=("container-resources",),
)
def cpu_limits(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """CPU limits are missing.

    A container without a CPU limit can take every idle core of its node; some teams
    leave CPU limits out on purpose (an exception with a reason records that choice).
    """
    return _missing_resource(workload, emit, "limits", "cpu")


@check(
    "WL004",
    "Memory limits are missing",
    "warning",
    polaris="memoryLimitsMissing",
    kube_score=("container-resources",),
)
def memory_limits(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Memory limits are missing.

    A container without a memory limit can grow until the node runs out of memory and
    the kernel kills whatever it picks, often another team's pod.
    """
    return _missing_resource(workload, emit, "limits", "memory")


def _missing_probe(workload: Workload, emit: Emit, probe: str) -> Iterable[Candidate]:
    """One finding per pod when none of its long-running containers has ``probe``.

    Judged per pod, as kube-score does: the pod is Ready, and gets Service traffic,
    only when all its containers are, and a container without a readiness probe counts
    as ready once started; so one readiness probe on the serving container gates the
    pod. A liveness probe is needed only for a process that can hang without exiting,
    which is the application's, not every sidecar's. Native sidecars (init containers
    with ``restartPolicy: Always``) run for the pod's life and may carry the probe. See
    https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes.
    """
    if workload.kind in BATCH_KINDS:
        return
    running = [
        c for c in workload.containers() if not c.init or c.spec.get("restartPolicy") == "Always"
    ]
    if not running or any(c.spec.get(probe) for c in running):
        return
    first = running[0]
    path = (*first.path, "name")
    if len(running) == 1:
        yield emit(f"{probe} is not set", path, snippet(path, first.name), container=first)
    else:
        names = ", ".join(c.name for c in running)
        yield emit(f"no container has a {probe} ({names})", path, snippet(path, first.name))


@check(
    "WL005",
    "Liveness probe is missing",
    "warning",
    polaris="livenessProbeMissing",
    kube_score=("pod-probes",),
)
def liveness_probe(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Liveness probe is missing.

    Without a liveness probe a container that hangs without exiting stays in service
    until someone notices; the kubelet restarts only what it can see failing.
    """
    return _missing_probe(workload, emit, "livenessProbe")


@check(
    "WL006",
    "Readiness probe is missing",
    "warning",
    polaris="readinessProbeMissing",
    kube_score=("pod-probes",),
)
def readiness_probe(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Readiness probe is missing.

    Without a readiness probe a pod receives traffic as soon as its process starts,
    before it can answer, and keeps receiving it while it is overloaded; rollouts
    cannot tell a healthy new version from a broken one.
    """
    return _missing_probe(workload, emit, "readinessProbe")


@check(
    "WL007",
    "Container runs privileged",
    "error",
    polaris="runAsPrivileged",
    kube_score=("container-security-context-privileged",),
)
def privileged(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Container runs privileged.

    A privileged container sees every device of the node and has almost every power a
    process outside a container has; one compromise is a compromise of the node.
    """
    for container in workload.containers():
        path = (*container.path, "securityContext", "privileged")
        if dig(workload.obj, path) is True:
            yield emit(
                "securityContext.privileged is true", path, snippet(path, True), container=container
            )


@check(
    "WL008",
    "Privilege escalation is allowed",
    "error",
    polaris="privilegeEscalationAllowed",
)
def privilege_escalation(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Privilege escalation is allowed.

    Unless ``allowPrivilegeEscalation`` is false, a process can gain more privileges
    than its parent (setuid binaries, file capabilities); Kubernetes defaults it to true.
    """
    for container in workload.containers():
        if dig(container.spec, ("securityContext", "allowPrivilegeEscalation")) is not False:
            path, text = _nearest(
                workload,
                container,
                ("securityContext", "allowPrivilegeEscalation"),
                ("securityContext",),
            )
            yield emit(
                "securityContext.allowPrivilegeEscalation is not false",
                path,
                text,
                container=container,
            )


@check("WL009", "Container may run as root", "error", polaris="runAsRootAllowed")
def run_as_root(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Container may run as root.

    A container is kept from root only by ``runAsNonRoot: true`` or a ``runAsUser``
    above 0, in its own security context or inherited from the pod's; the container's
    settings win. Root in a container is root on the node after any escape.
    """
    pod = workload.pod_path
    for container in workload.containers():
        own = (*container.path, "securityContext")
        user_path = _effective(workload, (own, (*pod, "securityContext")), "runAsUser")
        nonroot_path = _effective(workload, (own, (*pod, "securityContext")), "runAsNonRoot")
        user = dig(workload.obj, user_path) if user_path else None
        nonroot = dig(workload.obj, nonroot_path) if nonroot_path else None
        if (isinstance(user, int) and user >= 1) or (nonroot is True and user != 0):
            continue
        culprit = user_path if user == 0 else nonroot_path
        if culprit:
            text = snippet(culprit, dig(workload.obj, culprit))
        else:
            culprit, text = _nearest(workload, container, ("securityContext",))
        yield emit(
            "may run as root (no runAsNonRoot: true or runAsUser > 0)",
            culprit,
            text,
            container=container,
        )


@check(
    "WL010",
    "Root filesystem is writable",
    "warning",
    polaris="notReadOnlyRootFilesystem",
    kube_score=("container-security-context-readonlyrootfilesystem",),
)
def read_only_root(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Root filesystem is writable.

    A writable root filesystem lets an intruder drop tools and change binaries; with
    ``readOnlyRootFilesystem: true`` the container writes only to the volumes it mounts.
    """
    for container in workload.containers():
        if dig(container.spec, ("securityContext", "readOnlyRootFilesystem")) is not True:
            path, text = _nearest(
                workload,
                container,
                ("securityContext", "readOnlyRootFilesystem"),
                ("securityContext",),
            )
            yield emit(
                "securityContext.readOnlyRootFilesystem is not true",
                path,
                text,
                container=container,
            )


@check(
    "WL015",
    "Image tag is missing or latest",
    "error",
    polaris="tagNotSpecified",
    kube_score=("container-image-tag",),
)
def image_tag(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Image tag is missing or latest.

    An image without a tag is ``latest``, and ``latest`` moves: two nodes can run
    different code under the same manifest and a rollback restores nothing. Images
    pinned by digest pass.
    """
    for container in workload.containers():
        image = container.spec.get("image")
        if isinstance(image, str) and image and image_tag_of(image) in ("", "latest"):
            path = (*container.path, "image")
            yield emit(
                f"image {image!r} has no fixed tag", path, snippet(path, image), container=container
            )


@check(
    "WL016",
    "Image pull policy is not Always",
    "warning",
    polaris="pullPolicyNotAlways",
    kube_score=("container-image-pull-policy",),
)
def pull_policy(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Image pull policy is not Always.

    With any other policy a node reuses an image it has cached without asking the
    registry, so a pod can start an image its pull secret no longer grants. The check
    reads the policy Kubernetes gives the container: when ``imagePullPolicy`` is left
    out, an image tagged ``latest`` or not tagged at all is pulled ``Always`` (WL015
    reports the tag), any other image ``IfNotPresent``.
    """
    for container in workload.containers():
        written = container.spec.get("imagePullPolicy")
        if written == "Always":
            continue
        image = container.spec.get("image")
        tag = image_tag_of(image) if isinstance(image, str) else ""
        if written is None:
            # https://kubernetes.io/docs/concepts/containers/images/#imagepullpolicy-defaulting
            if tag in ("", "latest"):
                continue
            pinned = "an image pinned by digest" if tag == "@digest" else f"tag {tag!r}"
            message = f"imagePullPolicy is not set: Kubernetes uses IfNotPresent for {pinned}"
        else:
            message = f"imagePullPolicy is {written}"
        path, text = _nearest(workload, container, ("imagePullPolicy",))
        yield emit(message, path, text, container=container)


def image_tag_of(image: str) -> str:
    """The tag of an image reference; ``"@digest"`` when pinned, empty when none."""
    if "@" in image:
        return "@digest"
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else ""


def _nearest(workload: Workload, container: Container, *paths: PathKey) -> tuple[PathKey, str]:
    """The first written of ``paths`` (container-relative), else the container's name."""
    return workload.first_written(
        *((*container.path, *p) for p in paths), (*container.path, "name")
    )


def _effective(workload: Workload, contexts: tuple[PathKey, ...], field: str) -> PathKey | None:
    """The path of ``field`` in the first security context that sets it."""
    for context in contexts:
        if dig(workload.obj, (*context, field)) is not None:
            return (*context, field)
    return None
