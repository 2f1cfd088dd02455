# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values for supervisor's ini files, written the way supervisor reads them back (pure functions).

What supervisor (4.x) does with a line `key=value` of a program file, in order:
  1. configparser (inline_comment_prefixes ';' and '#'): a ';' or '#' after any whitespace ends
     the value there, whatever quotes surround it; the value is stripped of outer whitespace.
  2. every file's values: the text '%(here)s' becomes the file's directory.
  3. Python %-expansion (%(program_name)s, %(ENV_X)s, ...): a literal '%' must be written '%%';
     stdout_logfile is expanded twice (4.x), so there '%%%%'.
  4. command: shlex.split (POSIX rules); environment: shlex.shlex in non-POSIX mode, where a
     quoted value keeps its quotes until supervisor strips every ' and " from both ends, and
     nothing can be escaped.
Values that cannot pass all four unchanged are refused with a ValueError naming the option.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Mapping
from functools import partial
from typing import Any

from ansible_collections.hakit.redis.plugins.module_utils._injection import line_break_name

_COMMENT_RE = re.compile(r"\s[;#]")  # \s on str is Python's isspace(), as configparser uses
_HERE = "%(here)s"
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SAFE_ARG_RE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")
_QUOTES = ("'", '"')


def check_text(value: str, name: str) -> None:
    """Refuse what configparser would cut or change: line breaks, a ';'/'#' after whitespace."""
    what = line_break_name(value)
    if what:
        raise ValueError(f"supervisor option {name} contains {what}: remove it")
    if _COMMENT_RE.search(value):
        raise ValueError(
            f"supervisor option {name} contains a ';' or '#' after whitespace, where supervisor's ini "
            "parser starts a comment: remove the whitespace before it"
        )


def expansion_safe(text: str, name: str, expansions: int = 1) -> str:
    """`text` with '%' doubled for each of supervisor's %-expansions; refuses a literal '%(here)s'."""
    escaped = text.replace("%", "%" * 2**expansions)
    if _HERE in escaped:
        raise ValueError(
            f"supervisor option {name} contains '(here)s' after a '%': supervisor replaces "
            "'%(here)s' in every file before anything else, so it cannot be written"
        )
    return escaped


def option_value(value: Any, name: str, word: bool = False, expansions: int = 1) -> str:
    """A plain option value (a path, a user name, ...); with word=True no whitespace at all.

    `expansions`: how many times supervisor %-expands the option (2 for stdout_logfile).
    """
    text = str(value)
    check_text(text, name)
    if not text:
        raise ValueError(f"supervisor option {name} is empty")
    if text != text.strip():
        raise ValueError(f"supervisor option {name} starts or ends with whitespace, which supervisor strips")
    if word and any(ch.isspace() for ch in text):
        raise ValueError(f"supervisor option {name} must be one word without whitespace")
    return expansion_safe(text, name, expansions)


def command_arg(arg: str) -> str:
    """One argument quoted for shlex.split, safe from configparser's comments and '%(here)s'.

    shlex.quote's single quotes are used unless they would leave a ';' or '#' after whitespace or
    a '%(here)s' once '%' is doubled; then every character is backslash-escaped except whitespace,
    which goes in single quotes: a backslash before ';', '#' or '(' is what configparser and
    supervisor see, and shlex removes it.
    """
    quoted = shlex.quote(arg)
    if not _COMMENT_RE.search(quoted) and _HERE not in quoted.replace("%", "%%"):
        return quoted
    parts = []
    for ch in arg:
        if ch.isspace():
            parts.append(f"'{ch}'")
        elif _SAFE_ARG_RE.fullmatch(ch):
            parts.append(ch)
        else:
            parts.append("\\" + ch)
    return "".join(parts)


def command(value: Any, name: str = "command") -> str:
    """The command= value: a list is an argv (each item quoted, '%' doubled); a string is taken
    as supervisor syntax (quotes and %(...)s expansions as the author wrote them)."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"supervisor option {name} is an empty list: give the program and its arguments")
        for i, arg in enumerate(value):
            what = line_break_name(str(arg))
            if what:
                raise ValueError(f"supervisor option {name}[{i}] contains {what}: remove it")
        line = " ".join(command_arg(str(a)) for a in value)
        check_text(line, name)
        return expansion_safe(line, name)
    text = str(value)
    check_text(text, name)
    if not text.strip():
        raise ValueError(f"supervisor option {name} is empty")
    return text


def env_value(key: str, value: Any, name: str) -> str:
    """`"value"` (or `'value'` when it holds a double quote) as dict_of_key_value_pairs reads it."""
    text = str(value)
    where = f"{name}.{key}"
    check_text(text, where)
    if text.startswith(_QUOTES) or text.endswith(_QUOTES):
        raise ValueError(f"supervisor option {where} starts or ends with a quote, which supervisor strips")
    if '"' in text and "'" in text:
        raise ValueError(
            f"supervisor option {where} holds both a single and a double quote; supervisor's parser "
            "has no escapes, so it can carry only one kind"
        )
    quote = "'" if '"' in text else '"'
    return quote + expansion_safe(text, where) + quote


def environment(env: Mapping[str, Any], name: str = "environment") -> str:
    """The environment= value: KEY="value" pairs joined by ',' ('%' doubled in each value)."""
    pairs = []
    for key in sorted(env):
        key_text = str(key)
        if not _ENV_NAME_RE.fullmatch(key_text):
            raise ValueError(
                f"supervisor option {name} has a variable name that is not a letter or '_' followed by "
                f"letters, digits or '_': {key_text!r}"
            )
        pairs.append(f"{key_text}={env_value(key_text, env[key], name)}")
    return ",".join(pairs)


def problems(spec: Mapping[str, Any]) -> list[str]:
    """For preflight: {variable name: [kind, value]} to the error of each value supervisor could
    not read back; kinds: value, word, logfile, command, environment."""
    render = {
        "value": option_value,
        "word": partial(option_value, word=True),
        "logfile": partial(option_value, expansions=2),
        "command": command,
        "environment": environment,
    }
    found = []
    for name, (kind, val) in spec.items():
        if kind not in render:
            raise KeyError(f"unknown supervisor value kind {kind!r} for {name}; one of {', '.join(sorted(render))}")
        try:
            render[kind](val, name)
        except ValueError as exc:
            found.append(str(exc))
    return found


def _flag(value: Any) -> str:
    """Jinja's `bool | lower`, as program.conf.j2 wrote it: Ansible's truthy strings are true."""
    if isinstance(value, str):
        return "true" if value.strip().lower() in ("yes", "on", "1", "true", "y", "t") else "false"
    return "true" if value else "false"


def _number(value: Any) -> int:
    """Jinja's `int`: '60' and 60.0 are 60; anything else 0 (preflight refused it before)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def program_file(prog: Mapping[str, Any], log_dir: str) -> str:
    """The [program:NAME] section of a program file (roles/supervisor/templates/program.conf.j2
    puts the Ansible-managed header above it). `prog` is a definition merged with the role's
    program defaults."""
    name = prog["name"]
    logfile = prog.get("stdout_logfile") or f"{log_dir}/{name}.log"
    lines = [
        f"[program:{option_value(name, 'name', word=True)}]",
        f"command={command(prog['command'])}",
        f"user={option_value(prog['user'], 'user', word=True)}",
        f"directory={option_value(prog['directory'], 'directory')}",
        f"umask={option_value(prog['umask'], 'umask', word=True)}",
        f"autostart={_flag(prog['autostart'])}",
        f"autorestart={_flag(prog['autorestart'])}",
        f"startsecs={_number(prog['startsecs'])}",
        f"startretries={_number(prog['startretries'])}",
        f"stopwaitsecs={_number(prog['stopwaitsecs'])}",
        f"stopsignal={option_value(prog['stopsignal'], 'stopsignal', word=True)}",
        "stopasgroup=true",
        "killasgroup=true",
        f"redirect_stderr={_flag(prog['redirect_stderr'])}",
        f"stdout_logfile={option_value(logfile, 'stdout_logfile', expansions=2)}",
        "stdout_logfile_maxbytes=10MB",
        "stdout_logfile_backups=5",
    ]
    if prog.get("environment"):
        lines.append(f"environment={environment(prog['environment'])}")
    return "\n".join(lines) + "\n"


_RUNNING = ("RUNNING", "STARTING")


def program_pending(program: Mapping[str, Any], seen: Mapping[str, Any]) -> bool:
    """Whether tasks_from: program has anything to do for `program` (its definition, not merged):
    true unless the supervisor play of this run saw (`seen`: its __supervisor_seen fact, with the
    programs' SHA-1s and states, and the defaults, log directory and header it writes with) the
    same file and the program running. No `seen` (a role used on its own): true."""
    if not seen or "programs" not in seen:
        return True
    prog = {**seen.get("defaults", {}), **program}
    found = seen["programs"].get(prog.get("name"))
    if prog.get("state", "present") != "present" or not found or found.get("state") not in _RUNNING:
        return True
    content = f"{seen['header']}\n{program_file(prog, seen['log_dir'])}"
    return hashlib.sha1(content.encode("utf-8")).hexdigest() != found.get("sha1")
