# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis.conf parsing, quoting and value normalisation (pure functions, no I/O).

Redis rewrites its own file (CONFIG REWRITE, sent by Sentinel with every REPLICAOF), quoting
strings its own way, so values are compared by meaning, never by bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ansible_collections.hakit.redis.plugins.module_utils._injection import line_break_name

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

# Values that must never appear in a result or a diff (primaryauth: Valkey's name for masterauth).
SECRET_KEYS = frozenset({"requirepass", "masterauth", "primaryauth"})

_UNITS = {"k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}
_MEMORY_RE = re.compile(r"^(\d+)(k|kb|m|mb|g|gb)$", re.IGNORECASE)
_SAFE_RE = re.compile(r"^[A-Za-z0-9_.:/@+,=\-]+$")
# Directive names Redis knows are lower-case words with dashes; Redis lower-cases what it reads.
_DIRECTIVE_RE = re.compile(r"^[a-z][a-z0-9-]*$", re.IGNORECASE)

# sdssplitargs (Redis's src/sds.c), byte for byte: C's isspace() in the C locale, the separators
# an unquoted argument ends at, and the escapes of a double-quoted one.
_C_SPACE = frozenset(b" \t\n\v\f\r")
_UNQUOTED_END = frozenset(b" \n\r\t\0")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_ESCAPES = {ord("n"): ord("\n"), ord("r"): ord("\r"), ord("t"): ord("\t"), ord("b"): ord("\b"), ord("a"): ord("\a")}
_BACKSLASH, _DQUOTE, _SQUOTE, _X = ord("\\"), ord('"'), ord("'"), ord("x")


def split_args(line: str) -> list[str]:
    """Split one config line the way Redis's sdssplitargs does (quotes and escapes).

    Redis works on bytes: the line is read as UTF-8 and each argument decoded back, so a value
    Redis wrote as \\xNN escapes (CONFIG REWRITE) reads back as the text it was. The error
    messages never quote the line: it may hold a password.
    """
    raw = line.encode("utf-8", "surrogateescape")
    return [a.decode("utf-8", "surrogateescape") for a in split_args_bytes(raw)]


def split_args_bytes(line: bytes) -> list[bytes]:
    """sdssplitargs on bytes; raises ValueError where Redis reports unbalanced quotes."""
    end = line.find(b"\0")
    n = len(line) if end < 0 else end  # a C string ends at its first NUL

    def at(j: int) -> int:
        return line[j] if j < n else 0

    args: list[bytes] = []
    i = 0
    while True:
        while at(i) in _C_SPACE:
            i += 1
        if i >= n:
            return args
        i, arg = _split_one(at, i)
        args.append(arg)


def _split_one(at: Callable[[int], int], i: int) -> tuple[int, bytes]:
    """Read one argument starting at i; return the index after it and its bytes."""
    cur = bytearray()
    state = ""  # "", '"' or "'"
    while True:
        c = at(i)
        done = False
        if state == '"':
            if c == _BACKSLASH and at(i + 1) == _X and at(i + 2) in _HEX and at(i + 3) in _HEX:
                cur.append(int(bytes([at(i + 2), at(i + 3)]), 16))
                i += 3
            elif c == _BACKSLASH and at(i + 1):
                i += 1
                cur.append(_ESCAPES.get(at(i), at(i)))
            elif c == _DQUOTE:
                _require_separator(at(i + 1))
                done = True
            elif not c:
                raise ValueError("unbalanced quotes")
            else:
                cur.append(c)
        elif state == "'":
            if c == _BACKSLASH and at(i + 1) == _SQUOTE:
                i += 1
                cur.append(_SQUOTE)
            elif c == _SQUOTE:
                _require_separator(at(i + 1))
                done = True
            elif not c:
                raise ValueError("unbalanced quotes")
            else:
                cur.append(c)
        elif c in _UNQUOTED_END:
            done = True
        elif c in (_DQUOTE, _SQUOTE):  # a quote opens anywhere in an argument, as in Redis
            state = chr(c)
        else:
            cur.append(c)
        if at(i):
            i += 1
        if done:
            return i, bytes(cur)


def _require_separator(following: int) -> None:
    if following and following not in _C_SPACE:
        raise ValueError("a closing quote must be followed by a space")


def check_directive(key: str) -> None:
    """Refuse a directive name Redis could not have meant (a newline in it would add lines)."""
    if not _DIRECTIVE_RE.fullmatch(key):
        raise ValueError(
            f"invalid directive name {key!r}: a redis.conf/sentinel.conf directive is a letter followed "
            "by letters, digits or '-'"
        )


def check_value(key: str, value: str) -> None:
    """Refuse a value no config line can carry; the message names the directive, never the value.

    Redis reads its file line by line (a newline would start a directive of the value's choosing;
    Sentinel writes some values back unquoted) and stops reading at a NUL.
    """
    what = line_break_name(value)
    if what:
        raise ValueError(f"the value of directive {key!r} contains {what}: remove it")


def quote_arg(value: str) -> str:
    """Quote one argument so that split_args (and Redis) read back exactly `value`.

    Plain words stay bare; anything else goes in double quotes, where only `"` and `\\` need a
    backslash and control characters become \\n, \\t or \\xNN. Other characters (non-ASCII
    included) are copied as they are: sdssplitargs copies every other byte of a quoted argument.
    """
    if value and _SAFE_RE.fullmatch(value):
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
    """One `directive arg...` line; refuses a bad directive name or a value with a line break.

    A newline could be written quoted (\\n), but Sentinel writes some values back unquoted, so
    no value may hold one; the ValueError names the directive, never the value.
    """
    check_directive(key)
    args = to_args(value)
    if not args:
        args = [""]
    for arg in args:
        check_value(key, arg)
    return " ".join([key] + [quote_arg(a) for a in args])


def check_settings(settings: dict[str, Any]) -> None:
    """Refuse any setting no line could carry (the render_line rules), before anything changes."""
    for key, value in settings.items():
        if value is not None:
            render_line(key, value)


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


def _lines(text: str) -> list[str]:
    """The file's lines as Redis splits them: at "\\n" only (not at the other breaks Python knows)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse(text: str) -> dict[str, list[tuple[int, list[str]]]]:
    """Map each lower-cased directive to its (line index, arguments) occurrences.

    A line Redis could not read raises ValueError with its number and directive name only: the
    rest of the line may be a password.
    """
    found: dict[str, list[tuple[int, list[str]]]] = {}
    for idx, raw in enumerate(_lines(text)):
        stripped = raw.strip(" \t\r\n")  # Redis's sdstrim() of each line
        if not stripped or stripped.startswith("#"):
            continue
        try:
            args = split_args(stripped)
        except ValueError as exc:
            raise ValueError(f"line {idx + 1} (directive {_directive_of(stripped)}): {exc}") from None
        if args:
            found.setdefault(args[0].lower(), []).append((idx, args[1:]))
    return found


def _directive_of(line: str) -> str:
    """The directive name of an unreadable line, when its first word looks like one."""
    first = line.split(None, 1)[0]
    return first.lower() if _DIRECTIVE_RE.fullmatch(first) else "unknown"


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
    lines = _lines(text)
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
