# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values for keepalived.conf, each validated for its kind (pure functions, no I/O).

keepalived splits a line at whitespace, treats '#' and '!' as comments, '{' and '}' as blocks,
'"' as quotes, '@' at a line's start as a host condition and '$' as a parameter reference. None of
the values the collection writes needs any of that, so instead of quoting, each value must match
its kind (an IPv4 address, an integer, an interface name...) and anything else is refused with a
ValueError naming the variable.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

_PATTERNS = {
    "int": (re.compile(r"^[0-9]+$"), "a whole number (digits only)"),
    "decimal": (re.compile(r"^[0-9]+(\.[0-9]+)?$"), "a number such as 1 or 0.2 (digits and one '.')"),
    # Linux interface names: at most 15 bytes, no '/', ':' or whitespace.
    "interface": (
        re.compile(r"^[A-Za-z0-9_.-]{1,15}$"),
        "an interface name (letters, digits, '_', '.', '-'; 15 at most)",
    ),
    "word": (re.compile(r"^[A-Za-z0-9_.-]+$"), "a name of letters, digits, '_', '.' and '-'"),
    "path": (re.compile(r"^/[A-Za-z0-9_./-]+$"), "an absolute path of letters, digits, '_', '.', '-' and '/'"),
}
KINDS = frozenset(_PATTERNS) | {"ipv4"}


def problem(value: Any, kind: str) -> str | None:
    """Why `value` is not a valid `kind`, or None when it is."""
    text = str(value)
    if isinstance(value, bool):
        return "a boolean, not " + _describe(kind)
    if kind == "ipv4":
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            return "not an IPv4 address (a dotted quad such as 192.0.2.10)"
        return None
    if kind not in _PATTERNS:
        raise ValueError(f"unknown keepalived value kind {kind!r}; one of {', '.join(sorted(KINDS))}")
    pattern, _what = _PATTERNS[kind]
    return None if pattern.fullmatch(text) else "not " + _describe(kind)


def _describe(kind: str) -> str:
    return "an IPv4 address" if kind == "ipv4" else _PATTERNS[kind][1]


def value(value: Any, kind: str, name: str) -> str:
    """`value` as written in keepalived.conf; ValueError naming `name` when it is not a `kind`."""
    why = problem(value, kind)
    if why:
        raise ValueError(f"{name} is {why}: it would not be read back as one value by keepalived")
    return str(int(str(value))) if kind == "int" else str(value)


def problems(spec: dict[str, Any]) -> list[str]:
    """For preflight: {variable name: [kind, value]} to 'name: why' for each invalid value.

    A list of values ([kind, [v1, v2]]) checks each of them.
    """
    found = []
    for name, (kind, val) in spec.items():
        items = val if isinstance(val, (list, tuple)) else [val]
        for i, item in enumerate(items):
            why = problem(item, kind)
            if why:
                found.append(f"{name}[{i}]: {why}" if isinstance(val, (list, tuple)) else f"{name}: {why}")
    return found
