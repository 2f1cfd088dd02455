# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACL users: the file form the roles write, and how a running server is brought to it.

Redis reads an ACL file as lines `user <name> <rule> <rule>...` split on single spaces, with no
comments and no quoting, so names and rules must be free of whitespace (preflight checks the
users' values). Passwords appear only as `#<sha256>`.

A running server is brought to the file with ACL SETUSER (`reset` first, so the user ends up with
exactly the file's rules) and ACL DELUSER, never ACL LOAD: Redis 7.0's ACL LOAD drops the
connection of every client logged in as a named user, replicas included, even when nothing
changed. ACL LIST before and after tells whether anything did change.
"""

from __future__ import annotations

import re
from typing import Any

_NAME_RE = re.compile(r"^[A-Za-z0-9_.@:+-]+$")


class AclError(ValueError):
    """A line of an ACL file the roles would never write."""


def parse(text: str) -> list[tuple[str, list[str]]]:
    """(name, rules) per `user` line, in file order; blank lines skipped as Redis does."""
    users: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        words = line.split()
        if len(words) < 2 or words[0] != "user":
            raise AclError(f"line {number} does not start with 'user <name>'")
        if not _NAME_RE.match(words[1]):
            raise AclError(f"line {number}: user name is not [A-Za-z0-9_.@:+-]")
        users.append((words[1], words[2:]))
    return users


def password_hashes(rules: list[str]) -> list[str]:
    """The `#<sha256>` password rules of a user, without the '#'."""
    return [r[1:].lower() for r in rules if r.startswith("#")]


def summary(rules: list[str]) -> tuple[bool, tuple[str, ...]]:
    """What check mode compares: enabled, and the password hashes (sorted)."""
    enabled = False
    for rule in rules:
        if rule == "on":
            enabled = True
        elif rule in ("off", "reset"):
            enabled = False
    return enabled, tuple(sorted(password_hashes(rules)))


def live_users(acl_list: list[Any]) -> dict[str, list[str]]:
    """ACL LIST reply -> name to its rules."""
    users: dict[str, list[str]] = {}
    for entry in acl_list or []:
        words = str(entry.decode() if isinstance(entry, bytes) else entry).split()
        if len(words) >= 2 and words[0] == "user":
            users[words[1]] = words[2:]
    return users


def commands(wanted: list[tuple[str, list[str]]], live: dict[str, list[str]]) -> list[list[str]]:
    """ACL SETUSER for every wanted user (idempotent), ACL DELUSER for users the file does not name.

    `default` is never deleted (Redis refuses): a file without it leaves it as it is.
    """
    cmds = [["ACL", "SETUSER", name, "reset", *rules] for name, rules in wanted]
    names = {name for name, _rules in wanted}
    cmds += [["ACL", "DELUSER", name] for name in sorted(live) if name not in names and name != "default"]
    return cmds


def predicted_changes(wanted: list[tuple[str, list[str]]], live: dict[str, list[str]]) -> list[str]:
    """Users check mode reports as changing: missing, extra, or another password / on-off state.

    (Rules are compared for real only when applied: Redis normalises them.)
    """
    changed = [name for name, rules in wanted if name not in live or summary(rules) != summary(live[name])]
    names = {name for name, _rules in wanted}
    changed += [name for name in live if name not in names and name != "default"]
    return sorted(changed)


def masked(cmd: list[str]) -> str:
    """A command for a message: password hashes and cleartext password rules hidden."""
    return " ".join("#…" if w.startswith("#") else ">…" if w.startswith(">") else w for w in cmd)


def kept_passwords(wanted: list[tuple[str, list[str]]], live: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per wanted user, the password hashes it has live but not in `wanted` (a rotation's old ones).

    A `nopass` user keeps nothing: a password added to it would make it require one.
    """
    kept: dict[str, list[str]] = {}
    for name, rules in wanted:
        if name not in live or "nopass" in rules:
            continue
        old = [h for h in password_hashes(live[name]) if h not in password_hashes(rules)]
        if old:
            kept[name] = old
    return kept


def with_kept(wanted: list[tuple[str, list[str]]], kept: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """`wanted` with each user's kept hashes added after its own passwords."""
    return [(name, rules + ["#" + h for h in kept.get(name, [])]) for name, rules in wanted]


def reconcile(
    client: Any, wanted: list[tuple[str, list[str]]], check_mode: bool, keep: bool = False
) -> tuple[list[str], list[str]]:
    """Bring a running server's users to `wanted`; return (users that changed or would, users that
    still accept a password `wanted` no longer has).

    With `keep`, each user keeps the passwords it has live besides the wanted ones, and users the
    file does not name stay: a rotation's first step, when clients still log in with the old
    password. A later call without `keep` removes them. `client` needs only execute_command
    (redis-py). Raises AclError naming the refused command (masked).
    """
    live = live_users(client.execute_command("ACL", "LIST"))
    names = {name for name, _rules in wanted}
    kept = kept_passwords(wanted, live) if keep else {}
    extra = [name for name in live if name not in names and name != "default"] if keep else []
    # Users the file does not name are left out of the plan while kept, so nothing deletes them.
    plan_live = {name: rules for name, rules in live.items() if name not in extra}
    changed = _apply(client, with_kept(wanted, kept), plan_live, live, check_mode)
    return changed, sorted(set(kept) | set(extra))


def _apply(
    client: Any,
    wanted: list[tuple[str, list[str]]],
    plan_live: dict[str, list[str]],
    live: dict[str, list[str]],
    check_mode: bool,
) -> list[str]:
    if check_mode:
        return predicted_changes(wanted, plan_live)
    for cmd in commands(wanted, plan_live):
        try:
            client.execute_command(*cmd)
        except Exception as exc:
            raise AclError(f"'{masked(cmd)}' refused: {exc}") from exc
    after = live_users(client.execute_command("ACL", "LIST"))
    return sorted(name for name in set(live) | set(after) if live.get(name) != after.get(name))
