"""What the service tests read in the dashboard's HTML: hidden fields and the problems shown."""

from __future__ import annotations

import re


def hidden_value(html: str, name: str) -> str | None:
    """The value of the hidden field ``name`` in ``html``, or None when the page has none."""
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    return found.group(1) if found else None


def hidden(html: str, name: str) -> str:
    """The value of the hidden field ``name`` in ``html``, which the page must have."""
    value = hidden_value(html, name)
    assert value is not None, f"no hidden field {name}"
    return value


def field_problems(html: str) -> dict[str, str]:
    """The problems shown under the form's fields, by field name."""
    return {
        name: re.sub(r"<[^>]+>", " ", text).strip()
        for name, text in re.findall(r'class="problem" id="e-([a-z_]+)">(.*?)</div>', html, re.S)
    }


def alerts(html: str) -> str:
    """The text of the problems shown above a form."""
    return " ".join(re.findall(r'role="alert">(.*?)</div>', html, re.S))
