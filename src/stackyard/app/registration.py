"""Register or deregister a cluster: one commit holding the edited spec and its render.

A platform is a Git repository holding its spec and its rendered tree; Argo CD reads the
tree, so a change is only real once it is a commit there. Policy, in order:

1. one change at a time per repository (a lock file under ``.git``); the spec and the
   rendered folder must be as committed, so a refused change can be undone exactly;
2. an idempotency key already recorded in the history returns that earlier commit,
   pushed again if asked (a retry after a failed push sends it); a key reused for another
   request is refused; a registration identical to the cluster already in the spec is
   ``unchanged``;
3. the spec is edited with its comments and layout kept (:mod:`stackyard.spec.edit`) and
   planned; a plan with error findings is ``refused`` with them, nothing written;
4. a deregistration shows what the removal changes and which of it is disruptive (the
   comparison ``stackyard diff`` makes) and does nothing unless confirmed;
5. the spec is written, the tree rendered into the rendered folder and validated against
   the real schemas; a validation error rolls both back (``refused`` with its findings);
6. one commit records the spec and the render, with the author given and the key as a
   trailer; it is then pushed to the branch's remote, whose failure is reported while
   the local commit stays (pushing again later sends it).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from stackyard.app.clusterrequest import ClusterRegistration
from stackyard.app.rendering import render
from stackyard.app.validation import validate
from stackyard.errors import COMMAND_LINE, InputError, Location, Problem
from stackyard.findings import Finding
from stackyard.fsio.write import write_text
from stackyard.plan import Plan, make_plan
from stackyard.plan.diff import Change, compare_plans
from stackyard.render.gitchange import (
    KEY_TRAILER,
    REQUEST_TRAILER,
    Pushed,
    change_lock,
    earlier_change,
    head,
    push_head,
    repository_top,
    roll_back,
    uncommitted,
)
from stackyard.render.gitwork import commit_message, commit_render, prepare_commit
from stackyard.render.marker import MARKER, read_marker
from stackyard.spec import Cluster, load_spec
from stackyard.spec.edit import SpecEdit, SpecText, add_cluster, read_spec_text, remove_cluster
from stackyard.versioning import schema_id
from stackyard.wording import counted

ChangeStatus = Literal["committed", "unchanged", "refused", "needs-confirmation"]
ChangeAction = Literal["register", "deregister"]

_AUTHOR = re.compile(r"[^<>\n]+ <[^<>\n]+>")
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}")


def _no_wait() -> None:
    """Wait for another change of the same repository without saying so."""


@dataclass(frozen=True)
class ChangeResult:
    """What a registration or deregistration did to the platform repository."""

    action: ChangeAction
    cluster: str
    repository: Path
    status: ChangeStatus
    commit: str | None = None
    """The full id of the change's commit; None when nothing was committed."""
    findings: tuple[Finding, ...] = ()
    """A refusal's error findings (plan or validation); else the plan's warnings."""
    changes: tuple[Change, ...] = ()
    """What the change does to the plan, as ``stackyard diff`` shows it."""
    replayed: bool = False
    """The idempotency key was recorded before: ``commit`` is that earlier commit."""
    pushed: Pushed | None = None
    """Where the commit was pushed (or why not); None when no push was asked or made."""
    warnings: tuple[str, ...] = ()
    """What the render warned about (a rendered folder that is not the spec's gitops.path)."""

    @property
    def disruptive(self) -> tuple[Change, ...]:
        """The changes that restart, evict or remove something running."""
        return tuple(change for change in self.changes if change.disruptive)

    @property
    def push_failed(self) -> bool:
        """Whether the commit was made but its push failed."""
        return self.pushed is not None and self.pushed.error is not None

    @property
    def failed(self) -> bool:
        """Refused, waiting for a confirmation, or committed but not pushed."""
        return self.status in ("refused", "needs-confirmation") or self.push_failed

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the change did not happen (or did not reach the remote)."""
        if self.status == "refused":
            errors = counted(len(self.findings), "error finding")
            return (f"{self.action}ing cluster {self.cluster} was refused: {errors}",)
        if self.status == "needs-confirmation":
            disruptive = counted(len(self.disruptive), "disruptive change")
            return (
                f"deregistering cluster {self.cluster} needs a confirmation "
                f"({disruptive}); nothing was changed",
            )
        if self.pushed is not None and self.pushed.error is not None:
            return (
                f"committed {self.commit} locally, but the push to {self.pushed.remote} "
                f"failed: {self.pushed.error}",
            )
        return ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``stackyard cluster register|deregister --output json``."""
        pushed = self.pushed
        return {
            "schema": schema_id("cluster-change"),
            "action": self.action,
            "cluster": self.cluster,
            "repository": str(self.repository),
            "status": self.status,
            "commit": self.commit,
            "replayed": self.replayed,
            "push": None
            if pushed is None
            else {"remote": pushed.remote, "branch": pushed.branch, "error": pushed.error},
            "findings": [finding.as_dict() for finding in self.findings],
            "changes": [change.as_dict() for change in self.changes],
            "disruptive": len(self.disruptive),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class _Where:
    """The repository and the files a change touches in it."""

    top: Path
    spec: Path
    rendered: Path


def _inside(top: Path, relative: str, option: str) -> Path:
    path = Path(relative)
    if path.is_absolute() or ".." in path.parts or not relative.strip():
        problem = Problem(
            COMMAND_LINE, option, f"{relative!r} must be a path inside the repository"
        )
        raise InputError([problem])
    return top / path


def _where(repository: Path, spec_path: str, rendered: str) -> _Where:
    top = repository_top(repository)
    return _Where(top, _inside(top, spec_path, "--spec"), _inside(top, rendered, "--rendered"))


def _check_request(author: str | None, key: str | None) -> None:
    problems = []
    if author is not None and not _AUTHOR.fullmatch(author):
        problems.append(Problem(COMMAND_LINE, "--author", f"{author!r} is not 'Name <email>'"))
    if key is not None and not _KEY.fullmatch(key):
        problems.append(
            Problem(
                COMMAND_LINE,
                "--idempotency-key",
                f"{key!r} is not a key: up to 200 letters, digits and . _ : -",
            )
        )
    if problems:
        raise InputError(problems)


def _digest(request: Mapping[str, Any]) -> str:
    text = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class _Request:
    """One change asked for: what, to which cluster, by whom, under which key."""

    action: ChangeAction
    cluster: str
    where: _Where
    author: str | None
    key: str | None
    digest: str
    push: bool


def _replay(request: _Request) -> ChangeResult | None:
    """The earlier result of the same key, if the history records one."""
    if request.key is None:
        return None
    earlier = earlier_change(request.where.top, request.key)
    if earlier is None:
        return None
    if earlier.request != request.digest:
        problem = Problem(
            COMMAND_LINE,
            "--idempotency-key",
            f"{request.key!r} was used for another request (commit {earlier.commit[:12]})",
            "use a new key for a new request",
        )
        raise InputError([problem])
    # The earlier push may have failed; pushing again sends it (and is a no-op if not).
    return ChangeResult(
        request.action,
        request.cluster,
        request.where.top,
        "committed",
        commit=earlier.commit,
        replayed=True,
        pushed=push_head(request.where.top) if request.push else None,
    )


def _refuse_uncommitted(where: _Where) -> None:
    dirty = uncommitted(where.top, (where.spec, where.rendered))
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise InputError(
            [
                Problem(
                    Location(str(where.top)),
                    "",
                    f"has uncommitted changes to the spec or the rendered tree: {shown}",
                    "commit or discard them first",
                )
            ]
        )


def _old_plan(spec: Path) -> Plan | None:
    """The plan of the spec as committed; None when it does not load (nothing to compare)."""
    try:
        return make_plan(load_spec(spec))
    except InputError:
        return None


def _warnings(plan: Plan) -> tuple[Finding, ...]:
    return tuple(finding for finding in plan.findings if finding.severity == "warning")


def _commit(request: _Request, edit: SpecEdit, changes: tuple[Change, ...]) -> ChangeResult:
    """Write, render, validate and commit ``edit``; undo everything when a step fails."""
    where = request.where
    target = prepare_commit(where.rendered)  # no identity, no change: checked before writing
    original = where.spec.read_bytes()
    try:
        write_text(where.spec, edit.text)
        rendered = render(where.spec, where.rendered)
        validation = validate(where.rendered)
        if validation.errors:
            roll_back(where.top, where.spec, original, where.rendered)
            return ChangeResult(
                request.action,
                request.cluster,
                where.top,
                "refused",
                findings=tuple(validation.errors),
                changes=changes,
            )
        marker = read_marker(where.rendered)
        present = [*sorted(marker.files if marker else ()), MARKER]
        report = rendered.report
        released = sorted(set(report.released) | set(report.deleted))
        verb = "Register" if request.action == "register" else "Deregister"
        message = commit_message(rendered.metadata, f"{verb} cluster {request.cluster}")
        if request.key is not None:
            message += f"{KEY_TRAILER}: {request.key}\n{REQUEST_TRAILER}: {request.digest}\n"
        made = commit_render(
            target, present, released, message, also=(where.spec,), author=request.author
        )
    except BaseException:
        roll_back(where.top, where.spec, original, where.rendered)
        raise
    if made is None:
        return ChangeResult(request.action, request.cluster, where.top, "unchanged")
    return ChangeResult(
        request.action,
        request.cluster,
        where.top,
        "committed",
        commit=head(where.top),
        findings=_warnings(make_plan(edit.spec)),
        changes=changes,
        pushed=push_head(where.top) if request.push else None,
        warnings=(rendered.path_warning,) if rendered.path_warning else (),
    )


def _identical(spec: SpecText, registration: ClusterRegistration) -> bool:
    """Whether the spec already holds exactly this cluster."""
    try:
        wanted = Cluster.model_validate(registration.as_spec())
        clusters = load_spec(spec.path).platform.clusters
    except (ValidationError, InputError):
        return False
    return any(cluster == wanted for cluster in clusters)


def _planned(request: _Request, edit: SpecEdit) -> tuple[Plan, ChangeResult | None]:
    """The edited spec's plan, and the refusal when it has error findings."""
    plan = make_plan(edit.spec)
    if not plan.errors:
        return plan, None
    refusal = ChangeResult(
        request.action,
        request.cluster,
        request.where.top,
        "refused",
        findings=tuple(plan.errors),
    )
    return plan, refusal


@dataclass(frozen=True)
class _Asked:
    """What a public entry point was asked for, before the repository is looked at."""

    action: ChangeAction
    cluster: str
    identity: object  # what the idempotency key stands for: the cluster entry, or its name
    repository: Path
    spec_path: str
    rendered: str
    author: str | None
    key: str | None
    push: bool
    on_wait: Callable[[], None]


def _locked(asked: _Asked, change: Callable[[_Request], ChangeResult]) -> ChangeResult:
    """Check ``asked``, take the repository's lock and run ``change`` unless it is a replay.

    A replayed key returns its earlier commit; a spec or rendered folder that differs
    from its commit is refused before ``change`` sees it.
    """
    _check_request(asked.author, asked.key)
    where = _where(asked.repository, asked.spec_path, asked.rendered)
    digest = _digest(
        {
            "action": asked.action,
            "cluster": asked.identity,
            "spec": asked.spec_path,
            "rendered": asked.rendered,
        }
    )
    request = _Request(
        asked.action, asked.cluster, where, asked.author, asked.key, digest, asked.push
    )
    with change_lock(where.top, asked.on_wait):
        replayed = _replay(request)
        if replayed is not None:
            return replayed
        _refuse_uncommitted(where)
        return change(request)


def _changes(where: _Where, plan: Plan) -> tuple[Change, ...]:
    """What ``plan`` changes against the plan of the committed spec (none if that fails)."""
    old = _old_plan(where.spec)
    return tuple(compare_plans(old, plan).changes) if old is not None else ()


def register_cluster(
    repository: Path,
    registration: ClusterRegistration,
    *,
    spec_path: str = "platform.yaml",
    rendered: str = "rendered",
    author: str | None,
    idempotency_key: str | None = None,
    push: bool = True,
    on_wait: Callable[[], None] = _no_wait,
) -> ChangeResult:
    """Add ``registration`` to the platform in ``repository`` as one commit (and push it).

    Args:
        repository: the top of the platform's Git work tree.
        registration: the cluster to add.
        spec_path: the spec, relative to the repository.
        rendered: the folder the tree is rendered into, relative to the repository.
        author: ``Name <email>``, recorded as the commit's author; None: the
            repository's configured Git identity.
        idempotency_key: a key recorded in the commit; the same key again returns this
            result instead of committing twice.
        push: push the commit to the branch's remote, when the repository has one.
        on_wait: called once when another change holds the repository's lock.

    Raises:
        InputError: the repository, spec or request is unusable, the cluster's name is
            already taken by a different cluster, or the edited spec is invalid; nothing
            was changed.
    """
    cluster = registration.as_spec()

    def change(request: _Request) -> ChangeResult:
        spec = read_spec_text(request.where.spec)
        if _identical(spec, registration):
            return ChangeResult("register", registration.name, request.where.top, "unchanged")
        edit = add_cluster(spec, cluster)
        plan, refusal = _planned(request, edit)
        if refusal is not None:
            return refusal
        return _commit(request, edit, _changes(request.where, plan))

    asked = _Asked(
        action="register",
        cluster=registration.name,
        identity=cluster,
        repository=repository,
        spec_path=spec_path,
        rendered=rendered,
        author=author,
        key=idempotency_key,
        push=push,
        on_wait=on_wait,
    )
    return _locked(asked, change)


def deregister_cluster(
    repository: Path,
    name: str,
    *,
    confirm: bool,
    spec_path: str = "platform.yaml",
    rendered: str = "rendered",
    author: str | None,
    idempotency_key: str | None = None,
    push: bool = True,
    on_wait: Callable[[], None] = _no_wait,
) -> ChangeResult:
    """Remove the cluster ``name`` from the platform in ``repository`` as one commit.

    Without ``confirm`` nothing changes: the result (``needs-confirmation``) lists what
    the removal would change, the disruptive changes among them. The other arguments
    are as for :func:`register_cluster`.

    Raises:
        InputError: the repository, spec or request is unusable, no cluster has that
            name, or the spec without it is invalid; nothing was changed.
    """

    def change(request: _Request) -> ChangeResult:
        edit = remove_cluster(read_spec_text(request.where.spec), name)
        plan, refusal = _planned(request, edit)
        if refusal is not None:
            return refusal
        changes = _changes(request.where, plan)
        if not confirm:
            return ChangeResult(
                "deregister", name, request.where.top, "needs-confirmation", changes=changes
            )
        return _commit(request, edit, changes)

    asked = _Asked(
        action="deregister",
        cluster=name,
        identity=name,
        repository=repository,
        spec_path=spec_path,
        rendered=rendered,
        author=author,
        key=idempotency_key,
        push=push,
        on_wait=on_wait,
    )
    return _locked(asked, change)
