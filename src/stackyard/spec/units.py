"""The value types a platform spec is written in: durations, quantities, address ranges.

They follow the notations platform engineers already type every day: Go durations
(``1h``, ``2h40m``) as in Kubernetes and Prometheus flags, Kubernetes quantities
(``500m``, ``4Gi``), and CIDRs or ``first-last`` address ranges as MetalLB accepts them.
Each parses into a number or an ``ipaddress`` value once, at load time.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

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


def parse_duration(text: str) -> float:
    """Seconds in a Go-style duration such as ``1h``, ``2h40m`` or ``90s`` (``0`` is zero).

    Raises:
        ValueError: not a duration.
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
        ValueError: not a quantity.
    """
    if isinstance(text, bool):
        raise ValueError("a quantity cannot be true or false")
    if isinstance(text, int | float):
        return float(text)
    match = _QUANTITY.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a quantity; write e.g. 500m, 2, 512Mi or 4Gi")
    return float(match.group(1)) * _QUANTITY_FACTORS[match.group(2)]


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
    parse_duration(value)
    return value


def _quantity(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("a quantity is a number or text such as 500m or 4Gi")
    parse_quantity(value)
    return str(value)


def _address_range(value: object) -> AddressRange:
    if isinstance(value, AddressRange):
        return value
    if not isinstance(value, str):
        raise ValueError("an address range is text such as 10.0.0.0/16 or 10.0.0.10-10.0.0.19")
    return AddressRange.parse(value)


Duration = Annotated[
    str,
    BeforeValidator(_duration),
    WithJsonSchema({"type": "string", "pattern": r"^(0|(\d+(\.\d+)?(ms|s|m|h|d))+)$"}),
]
Quantity = Annotated[
    str,
    BeforeValidator(_quantity),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "pattern": _QUANTITY.pattern}]}
    ),
]
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
