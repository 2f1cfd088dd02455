# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis.conf parsing, quoting and value normalisation (pure functions, no I/O).

Redis rewrites its own file (CONFIG REWRITE, sent by Sentinel with every REPLICAOF), quoting
strings its own way, so values are compared by meaning, never by bytes.
"""

from __future__ import annotations

import re
from typing import Any

# Settings Redis refuses to change with CONFIG SET (immutable, or protected by default in 7.x):
# a change to one of these is written to the file and needs a restart.
RESTART_KEYS = frozenset(
    {
        "daemonize",
        "supervised",
        "pidfile",
        "logfile",
        "syslog-enabled",
        "syslog-ident",
        "syslog-facility",
        "databases",
        "unixsocket",
        "unixsocketperm",
        "io-threads",
        "io-threads-do-reads",
        "aclfile",
        "appenddirname",
        "dir",
        "dbfilename",
        "enable-protected-configs",
        "enable-debug-command",
        "enable-module-command",
        "always-show-logo",
        "set-proc-title",
        "proc-title-template",
        "disable-thp",
        "tcp-backlog",
        "cluster-enabled",
        "cluster-config-file",
    }
)

# Directives whose lines add up (CONFIG REWRITE writes `save` as one line per pair).
CUMULATIVE_KEYS = frozenset({"save"})

# Values that must never appear in a result or a diff.
SECRET_KEYS = frozenset({"requirepass", "masterauth"})

_UNITS = {"k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}
_MEMORY_RE = re.compile(r"^(\d+)(k|kb|m|mb|g|gb)$", re.IGNORECASE)
_SAFE_RE = re.compile(r"^[A-Za-z0-9_.:/@+,=\-]+$")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}


def split_args(line: str) -> list[str]:
    """Split one config line the way Redis's sdssplitargs does (quotes and escapes)."""
    args: list[str] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return args
        cur: list[str] = []
        quote = ""
        while i < n:
            c = line[i]
            if quote == '"':
                if c == "\\" and i + 3 < n and line[i + 1] == "x" and _is_hex(line[i + 2 : i + 4]):
                    cur.append(chr(int(line[i + 2 : i + 4], 16)))
                    i += 3
                elif c == "\\" and i + 1 < n:
                    i += 1
                    cur.append(_ESCAPES.get(line[i], line[i]))
                elif c == '"':
                    _require_separator(line, i)
                    quote = ""
                    i += 1
                    break
                else:
                    cur.append(c)
            elif quote == "'":
                if c == "\\" and i + 1 < n and line[i + 1] == "'":
                    i += 1
                    cur.append("'")
                elif c == "'":
                    _require_separator(line, i)
                    quote = ""
                    i += 1
                    break
                else:
                    cur.append(c)
            elif c.isspace():
                break
            elif c in "\"'" and not cur:
                quote = c
            else:
                cur.append(c)
            i += 1
        if quote:
            raise ValueError(f"unbalanced quotes in config line: {line[:40]!r}")
        args.append("".join(cur))


def _is_hex(s: str) -> bool:
    return len(s) == 2 and all(ch in "0123456789abcdefABCDEF" for ch in s)


def _require_separator(line: str, i: int) -> None:
    if i + 1 < len(line) and not line[i + 1].isspace():
        raise ValueError(f"closing quote must be followed by a space: {line[:40]!r}")


def quote_arg(value: str) -> str:
    """Quote one argument so that split_args (and Redis) read back exactly `value`."""
    if value and _SAFE_RE.match(value):
        return value
    out = ['"']
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def to_args(value: Any) -> list[str]:
    """Turn a settings value (bool, int, str, list) into config-file arguments."""
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def render_line(key: str, value: Any) -> str:
    args = to_args(value)
    if not args:
        args = [""]
    return " ".join([key] + [quote_arg(a) for a in args])


def normalise(key: str, args: list[str]) -> str:
    """Canonical comparable form, equal to what CONFIG GET returns for the same setting."""
    joined = " ".join(args)
    if len(args) == 1:
        m = _MEMORY_RE.match(args[0])
        if m:
            return str(int(m.group(1)) * _UNITS[m.group(2).lower()])
        if args[0].lower() in ("yes", "no"):
            return args[0].lower()
    if key in ("maxmemory-policy", "appendfsync", "loglevel"):
        return joined.lower()
    return joined


def parse(text: str) -> dict[str, list[tuple[int, list[str]]]]:
    """Map each lower-cased directive to its (line index, arguments) occurrences."""
    found: dict[str, list[tuple[int, list[str]]]] = {}
    for idx, raw in enumerate(text.splitlines()):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        args = split_args(stripped)
        if args:
            found.setdefault(args[0].lower(), []).append((idx, args[1:]))
    return found


def _effective(key: str, occ: list[tuple[int, list[str]]]) -> str:
    """What Redis makes of the occurrences: the last line wins, except cumulative directives."""
    if key in CUMULATIVE_KEYS:
        return normalise(key, [a for _line, args in occ for a in args if a != ""])
    return normalise(key, occ[-1][1])


def apply_settings(text: str, settings: dict[str, Any]) -> tuple[str, list[str]]:
    """Return the file text with each setting's line replaced (or appended) and the changed keys.

    A setting whose value is None is removed from the file. Unmanaged lines, comments and the
    order of the file are kept, so Redis's own rewrites and the operator's notes survive.
    """
    lines = text.splitlines()
    parsed = parse(text)
    changed: list[str] = []
    drop: set[int] = set()
    appended: list[str] = []
    for key, value in settings.items():
        key = key.lower()
        occ = parsed.get(key, [])
        if value is None:
            if occ:
                drop.update(i for i, _args in occ)
                changed.append(key)
            continue
        want = normalise(key, to_args(value))
        if occ and _effective(key, occ) == want and (len(occ) == 1 or key in CUMULATIVE_KEYS):
            continue
        changed.append(key)
        if occ:
            lines[occ[0][0]] = render_line(key, value)
            drop.update(i for i, _args in occ[1:])
        else:
            appended.append(render_line(key, value))
    kept = [line for i, line in enumerate(lines) if i not in drop]
    new_text = "\n".join(kept + appended) + "\n"
    return new_text, changed


def live_differences(live: dict[str, str], settings: dict[str, Any]) -> list[str]:
    """Keys whose running value (CONFIG GET) differs from the wanted one."""
    diff = []
    for key, value in settings.items():
        if value is None or key in RESTART_KEYS:
            continue
        if key not in live:
            continue
        if normalise(key, [live[key]] if live[key] else [""]) != normalise(key, to_args(value)):
            diff.append(key)
    return diff
