"""What a dashboard form shows: the values typed, and each problem under the field it is about.

A form sent with a problem comes back (422) with what was typed and the problem named at
its field; problems no field owns (a plan's findings, a repository's state) are listed
above the fields. Problems arrive as the application layer words them, each with the spec
or option field it is about (``clusters[3].network.serviceCIDR``, ``--node-pool``): the
form maps those onto its own fields (:meth:`FormState.with_problems`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

_CLUSTER_FIELD = re.compile(r"clusters\[[0-9]+\]\.?")
_LAST_STEP = re.compile(r"(\.[^.\[]*|\[[0-9]+\])$")


def _candidates(where: str) -> Iterator[str]:
    """``where`` without its ``clusters[N].`` prefix, then ever shorter, to the first key."""
    key = _CLUSTER_FIELD.sub("", where, count=1)
    while key:
        yield key
        shorter = _LAST_STEP.sub("", key)
        if shorter == key:
            return
        key = shorter


def new_key() -> str:
    """An idempotency key for one filled-in form: sending it twice makes one change."""
    return "form-" + secrets.token_hex(12)


@dataclass
class FormState:
    """One form: the values shown in its fields and the problems found with them."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    """Messages by form field name."""
    general: list[str] = field(default_factory=list)
    """Messages no single field owns."""
    key: str = field(default_factory=new_key)
    """The idempotency key the form sends (a fresh one each time it is shown)."""

    @property
    def failed(self) -> bool:
        """Whether there is anything to show the person who sent it."""
        return bool(self.errors or self.general)

    def value(self, name: str, default: str = "") -> str:
        """The value of field ``name``, as typed."""
        return self.values.get(name, default)

    def add(self, name: str | None, message: str) -> None:
        """A problem with field ``name`` (None: with the form as a whole)."""
        if name is None:
            self.general.append(message)
        else:
            self.errors.setdefault(name, []).append(message)

    def with_problems(
        self, problems: Iterable[tuple[str, str]], fields: Mapping[str, str]
    ) -> FormState:
        """Add ``(field, message)`` problems, each at the form field ``fields`` maps it to.

        A spec field inside the new cluster (``clusters[3].network.podCIDR``) is looked up
        without its ``clusters[N].`` prefix, then by ever shorter dotted prefixes, so
        ``nodePools[0].cpu`` finds the field of ``nodePools``. An unmapped field's problem
        goes above the form, its field named in the message.
        """
        for where, message in problems:
            name = next((fields[c] for c in _candidates(where) if c in fields), None)
            self.add(name, message if name or not where else f"{where}: {message}")
        return self
