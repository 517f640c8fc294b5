"""Kubernetes resource quantities (`500m`, `16Gi`, `1e3`), checked and compared as the API server
does.

Its own module because both the flag checks (deploy_values) and the requests-within-limits
rule (render.model_resources) need the same grammar, and a flag refused here is one the API
server would refuse halfway through the writes.
"""

from __future__ import annotations

import re
from decimal import Decimal

from kubectl_nim.errors import UsageError

# Kubernetes' resource.Quantity grammar, unsigned (a negative size is never meant).
QUANTITY = re.compile(r"^(?P<num>[0-9]+(\.[0-9]*)?|\.[0-9]+)"
                       r"(?P<suffix>[KMGTPE]i|[eE][+-]?[0-9]+|[numkMGTPE])?$")
BINARY = {f"{p}i": Decimal(1024) ** (i + 1) for i, p in enumerate("KMGTPE")}
DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
            "P": Decimal("1e15"), "E": Decimal("1e18")}


def check_quantity(value: str, flag: str) -> None:
    if not isinstance(value, str) or not QUANTITY.fullmatch(value):
        raise UsageError(f"{flag} {value!r} is not a Kubernetes quantity",
                         hint="for example 500m or 2 (CPU), 16Gi (memory, storage)")


def parse_quantity(value: str) -> Decimal:
    match = QUANTITY.fullmatch(value)
    if not match:
        raise UsageError(f"{value!r} is not a Kubernetes quantity")
    number, suffix = Decimal(match["num"]), match["suffix"] or ""
    if suffix in BINARY:
        return number * BINARY[suffix]
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return number * Decimal(10) ** int(suffix[1:])
    return number * DECIMAL[suffix]
