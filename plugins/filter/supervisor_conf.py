# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write values into supervisor's ini files the way supervisor reads them back (program.conf.j2,
supervisord.conf.j2), list the values it could not read (preflight), and tell whether a program's
file or state differs from what this run's supervisor play saw (tasks_from: program, its callers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hakit.redis.plugins.module_utils import _supervisor_conf as sup


def _wrap(func: Callable[..., str], *args: Any) -> str:
    try:
        return func(*args)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


def supervisor_value(value: Any, name: str, kind: str = "value") -> str:
    """A plain option value ('%' doubled); kind 'word' also refuses whitespace, kind 'logfile' is
    for stdout_logfile, which supervisor %-expands twice."""
    if kind not in ("value", "word", "logfile"):
        raise AnsibleFilterError(f"hakit.redis.supervisor_value: kind must be value, word or logfile, not {kind!r}")
    return _wrap(sup.option_value, value, name, kind == "word", 2 if kind == "logfile" else 1)


def supervisor_command(value: Any, name: str = "command") -> str:
    """command=: a list is quoted item by item for shlex.split; a string is supervisor syntax."""
    return _wrap(sup.command, value, name)


def supervisor_environment(env: Any, name: str = "environment") -> str:
    """environment=: KEY="value" pairs as supervisor's dict_of_key_value_pairs reads them."""
    if not isinstance(env, Mapping):
        raise AnsibleFilterError(f"supervisor option {name} must be a dict of variable name to value")
    return _wrap(sup.environment, env, name)


def supervisor_problems(spec: Any) -> list[str]:
    """{variable name: [kind, value]} to one message per value supervisor could not read back."""
    if not isinstance(spec, Mapping):
        raise AnsibleFilterError("hakit.redis.supervisor_problems expects a dict of name to [kind, value]")
    try:
        return sup.problems(spec)
    except KeyError as exc:
        raise AnsibleFilterError(f"hakit.redis.supervisor_problems: {exc.args[0]}") from None


def supervisor_program_file(prog: Any, log_dir: str) -> str:
    """The [program:NAME] section of a program file, from a definition merged with the defaults."""
    if not isinstance(prog, Mapping):
        raise AnsibleFilterError("hakit.redis.supervisor_program_file expects a program definition (a dict)")
    return _wrap(sup.program_file, prog, log_dir)


def supervisor_program_pending(program: Any, seen: Any) -> bool:
    """Whether tasks_from: program would change or start anything, from this run's __supervisor_seen."""
    if not isinstance(program, Mapping) or not isinstance(seen, Mapping):
        raise AnsibleFilterError(
            "hakit.redis.supervisor_program_pending expects a program definition and __supervisor_seen (dicts)"
        )
    try:
        return sup.program_pending(program, seen)
    except (KeyError, ValueError):
        return True  # a definition preflight has not seen: let tasks_from: program decide and report


class FilterModule:
    """hakit.redis supervisor filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "supervisor_value": supervisor_value,
            "supervisor_command": supervisor_command,
            "supervisor_environment": supervisor_environment,
            "supervisor_problems": supervisor_problems,
            "supervisor_program_file": supervisor_program_file,
            "supervisor_program_pending": supervisor_program_pending,
        }
