# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find line breaks in variables before they reach a config file (pure functions, no I/O).

Every file the collection writes is read line by line by its daemon (redis.conf, sentinel.conf,
keepalived.conf, supervisor's ini files, the ACL file): a newline, carriage return or NUL in a
value would add lines of the value's choosing. Preflight refuses such values by name; these
helpers return where they are, never what they are (the value may be a password).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# What each forbidden character is called in an error message.
LINE_BREAKS = {"\n": "a newline", "\r": "a carriage return", "\0": "a NUL character"}
_PLAIN_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def has_line_break(text: str) -> bool:
    return any(ch in text for ch in LINE_BREAKS)


def line_break_name(text: str) -> str | None:
    """What the first forbidden character in `text` is called, or None."""
    for ch, what in LINE_BREAKS.items():
        if ch in text:
            return what
    return None


def unsafe_paths(value: Any, path: str) -> list[str]:
    """The paths (name, name.key, name[0]) of every string in `value` holding a line break.

    Dict keys are checked too; a key with a line break is named by its repr (keys are names,
    not secrets). Numbers, booleans and None cannot hold one.
    """
    if isinstance(value, str):
        return [path] if has_line_break(value) else []
    if isinstance(value, Mapping):
        found: list[str] = []
        for key, item in value.items():
            key_text = str(key)
            if has_line_break(key_text):
                found.append(f"{path}[{key_text!r}] (the key)")
                continue
            found.extend(unsafe_paths(item, _child(path, key_text)))
        return found
    if isinstance(value, (list, tuple)):
        return [p for i, item in enumerate(value) for p in unsafe_paths(item, f"{path}[{i}]")]
    return []


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if _PLAIN_KEY_RE.fullmatch(key) else f"{path}[{key!r}]"


def unsafe_keys(variables: Mapping[str, Any]) -> list[str]:
    """Names of the variables (or of their parts) that hold a newline, carriage return or NUL."""
    return [p for name, value in variables.items() for p in unsafe_paths(value, str(name))]
