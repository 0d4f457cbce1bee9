"""The text type of a spec: what a name, a domain, a label or a URL may not contain.

Every such value ends up verbatim in a rendered file: a host name, a label, an Argo CD
``repoURL``. A stray newline or space there (a ``domain`` ending in a newline) renders host
names that no DNS server answers and labels Kubernetes rejects, and the YAML still
parses. So the spec refuses text with leading or trailing whitespace or any control
character, naming the field, before the field's own shape is checked.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import BeforeValidator


def check_text(value: object) -> object:
    """Refuse text with surrounding whitespace or control characters; pass anything else.

    Other types pass through unchanged so the field's own type check names them.

    Raises:
        ValueError: the text has leading or trailing whitespace or a control character.
    """
    if not isinstance(value, str):
        return value
    for character in value:
        # Cc: C0/C1 controls (tab, newline, NUL, ESC...); Cf: invisible format characters
        # (zero-width space, bidirectional overrides) that make two names look the same.
        if unicodedata.category(character) in ("Cc", "Cf"):
            raise ValueError(
                f"{shown(value)} contains the control character {character!r} "
                f"(U+{ord(character):04X}); remove it"
            )
    if value != value.strip():
        raise ValueError(f"{shown(value)} has leading or trailing whitespace; remove it")
    return value


def shown(text: str) -> str:
    """``text`` quoted for a message, shortened when it is too long to read."""
    return repr(text) if len(text) <= 40 else repr(f"{text[:20]}...{text[-10:]}")


Text = Annotated[str, BeforeValidator(check_text)]
"""A string without leading/trailing whitespace or control characters."""
