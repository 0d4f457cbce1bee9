"""The value types a platform spec is written in: durations, quantities, address ranges.

They follow the notations platform engineers already type every day: Go durations
(``1h``, ``2h40m``) as in Kubernetes and Prometheus flags, Kubernetes quantities
(``500m``, ``4Gi``), and CIDRs or ``first-last`` address ranges as MetalLB accepts them.
Each parses into a number or an ``ipaddress`` value once, at load time.

Numbers are checked before anything computes with them: a spec is refused when a
quantity or duration is negative, not finite (``.inf``, ``.nan``, a 400-digit number
that a float turns into infinity) or beyond :data:`MAX_DURATION` / :data:`MAX_QUANTITY`,
so no later ``timedelta`` overflows and no budget sums to ``nan``.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from stackyard.spec.text import check_text, shown

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_QUANTITY_FACTORS = {
    None: 1.0,
    "m": 0.001,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 1024.0,
    "Mi": 1024.0**2,
    "Gi": 1024.0**3,
    "Ti": 1024.0**4,
}
GIB = 1024.0**3
MAX_DURATION = 365 * 86400.0
"""The longest duration a spec may give (a year): beyond it a value is a typo."""
MAX_QUANTITY = 1024.0**6
"""The largest quantity a spec may give (1 Ei): beyond any node, host or quota."""


def parse_duration(text: str) -> float:
    """Seconds in a Go-style duration such as ``1h``, ``2h40m`` or ``90s`` (``0`` is zero).

    Raises:
        ValueError: not a duration, or one too long to be a number of seconds.
    """
    text = text.strip()
    if text == "0":
        return 0.0
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
    if position != len(text) or not text:
        raise ValueError(f"{text!r} is not a duration; write e.g. 30s, 15m, 1h or 2h40m")
    if not math.isfinite(total):  # a 400-digit number of hours is a float infinity
        raise ValueError(f"{shown(text)} is too long to be a duration")
    return total


def format_duration(seconds: float) -> str:
    """The shortest Go-style spelling of a whole number of seconds."""
    whole = round(seconds)
    if whole == 0:
        return "0s"
    parts = []
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        amount, whole = divmod(whole, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def parse_quantity(text: str | int | float) -> float:
    """The value of a Kubernetes quantity (``500m`` → 0.5, ``4Gi`` → 4294967296).

    Raises:
        ValueError: not a quantity, negative, or not a finite number.
    """
    if isinstance(text, bool):
        raise ValueError("a quantity cannot be true or false")
    if isinstance(text, int | float):
        try:
            value = float(text)
        except OverflowError:  # an int beyond the float range
            raise ValueError(f"{shown(str(text))} is too large to be a quantity") from None
    else:
        match = _QUANTITY.match(text.strip().removeprefix("-"))
        if not match:
            raise ValueError(f"{shown(text)} is not a quantity; write e.g. 500m, 2, 512Mi or 4Gi")
        sign = -1.0 if text.strip().startswith("-") else 1.0
        value = sign * float(match.group(1)) * _QUANTITY_FACTORS[match.group(2)]
    if math.isnan(value):
        raise ValueError("a quantity must be a number, not .nan")
    if value < 0:
        raise ValueError(f"{shown(str(text))} is negative; a quantity is 0 or more")
    if math.isinf(value):
        raise ValueError(f"{shown(str(text))} is too large to be a quantity")
    return value


@dataclass(frozen=True, order=True)
class AddressRange:
    """An inclusive range of IPv4 or IPv6 addresses, written as a CIDR or ``first-last``."""

    first: ipaddress.IPv4Address | ipaddress.IPv6Address
    last: ipaddress.IPv4Address | ipaddress.IPv6Address
    text: str

    @classmethod
    def parse(cls, text: str) -> AddressRange:
        """Parse ``10.0.0.0/16``, ``192.168.64.10-192.168.64.19`` or ``192.168.64.10-19``.

        Raises:
            ValueError: not a CIDR or range, or a range that runs backwards.
        """
        text = str(text).strip()
        try:
            if "-" not in text:
                network = ipaddress.ip_network(text, strict=True)
                return cls(network.network_address, network.broadcast_address, text)
            start, end = (part.strip() for part in text.split("-", 1))
            first = ipaddress.ip_address(start)
            if end.isdigit() and first.version == 4:  # short form: 192.168.64.10-19
                end = start.rsplit(".", 1)[0] + "." + end
            last = ipaddress.ip_address(end)
        except ValueError as e:
            raise ValueError(
                f"{text!r} is not a CIDR (10.0.0.0/16) or range (10.0.0.10-10.0.0.19): {e}"
            ) from e
        if first.version != last.version or int(last) < int(first):
            raise ValueError(f"{text!r}: the range must run upwards within one IP version")
        return cls(first, last, text)

    @property
    def size(self) -> int:
        """How many addresses the range holds."""
        return int(self.last) - int(self.first) + 1

    def overlaps(self, other: AddressRange) -> bool:
        """Whether the two ranges share at least one address."""
        if self.first.version != other.first.version:
            return False
        return int(self.first) <= int(other.last) and int(other.first) <= int(self.last)

    def contains(self, other: AddressRange) -> bool:
        """Whether every address of ``other`` is inside this range."""
        if self.first.version != other.first.version:
            return False
        return int(self.first) <= int(other.first) and int(other.last) <= int(self.last)

    def __str__(self) -> str:
        return self.text


def _duration(value: object) -> str:
    if value == 0 and not isinstance(value, bool):
        return "0"  # zero needs no unit
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("write a duration with its unit, e.g. 1h or 90s, not a bare number")
    if not isinstance(value, str):
        raise ValueError("a duration is text such as 1h or 2h40m")
    check_text(value)
    if parse_duration(value) > MAX_DURATION:
        raise ValueError(f"{shown(value)} is over a year (365d); write a shorter duration")
    return value


def _positive_duration(value: object) -> str:
    text = _duration(value)
    if parse_duration(text) <= 0:
        raise ValueError(f"{text!r} is zero; write a duration above zero, e.g. 1h")
    return text


def _quantity(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("a quantity is a number or text such as 500m or 4Gi")
    check_text(value)
    if parse_quantity(value) > MAX_QUANTITY:
        raise ValueError(f"{shown(str(value))} is over 1Ei; write a realistic quantity")
    return str(value)


def _positive_quantity(value: object) -> str:
    text = _quantity(value)
    if parse_quantity(text) <= 0:
        raise ValueError(f"{text!r} is zero; write a quantity above zero, e.g. 2 or 4Gi")
    return text


def _number(value: object) -> object:
    # YAML reads true as a boolean and Python treats it as 1: count: true is a typo.
    if isinstance(value, bool):
        raise ValueError(f"write a number, not {str(value).lower()}")
    return value


def _address_range(value: object) -> AddressRange:
    if isinstance(value, AddressRange):
        return value
    if not isinstance(value, str):
        raise ValueError("an address range is text such as 10.0.0.0/16 or 10.0.0.10-10.0.0.19")
    return AddressRange.parse(value)


_DURATION_SCHEMA = {"type": "string", "pattern": r"^(0|(\d+(\.\d+)?(ms|s|m|h|d))+)$"}
_QUANTITY_SCHEMA = {
    "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": _QUANTITY.pattern}]
}

Duration = Annotated[str, BeforeValidator(_duration), WithJsonSchema(_DURATION_SCHEMA)]
"""A Go-style duration from 0 up to a year."""
PositiveDuration = Annotated[
    str, BeforeValidator(_positive_duration), WithJsonSchema(_DURATION_SCHEMA)
]
"""A Go-style duration above 0, up to a year."""
Quantity = Annotated[str, BeforeValidator(_quantity), WithJsonSchema(_QUANTITY_SCHEMA)]
"""A Kubernetes quantity from 0 up to 1Ei."""
PositiveQuantity = Annotated[
    str, BeforeValidator(_positive_quantity), WithJsonSchema(_QUANTITY_SCHEMA)
]
"""A Kubernetes quantity above 0, up to 1Ei."""
Count = Annotated[int, BeforeValidator(_number)]
"""A whole number, never a YAML boolean (its bounds are set per field)."""
Number = Annotated[float, BeforeValidator(_number)]
"""A real number, never a YAML boolean (bounds and finiteness are set per field)."""
Range = Annotated[
    AddressRange,
    BeforeValidator(_address_range),
    PlainSerializer(lambda r: r.text, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": "A CIDR (10.0.0.0/16) or an inclusive range (10.0.0.10-10.0.0.19).",
        }
    ),
]
