# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which nodes of a mixed cluster can follow which (issue 16: Debian 13, Valkey, host-by-host upgrades).

A replica's full sync loads an RDB file its master writes, and a server loads only the RDB format
versions it knows: Redis 7.0 writes and loads 10, Redis 7.2 11, Redis 7.4 and 8.x 12, Valkey 7.2-8.1
11 (measured: Valkey 8.1.1 refuses Redis 8.0's RDB with "Can't handle RDB format version 12", also
with ``rdb-version-check relaxed``; Redis 8.0 follows a Valkey 8.1 master). So a node may follow a
master whose RDB version is at most its own. Every node that can become master (the initial master,
every node with replica-priority above 0) must therefore write a format every other node loads, or
a failover would leave replicas that cannot follow.
"""

from __future__ import annotations

import re
from typing import Any

from ansible.errors import AnsibleFilterError

NAMES = {"redis": "Redis", "valkey": "Valkey"}


def _label(node: dict[str, Any]) -> str:
    engine = NAMES.get(str(node.get("engine")), str(node.get("engine")))
    return f"{node['host']} ({engine} {node.get('version', '?')} on {node.get('release', '?')}, RDB {node['rdb']})"


def replication_format_problems(nodes: Any) -> list[str]:
    """One sentence per node that can become master while another node could not follow it.

    ``nodes``: ``[{host, engine, version, release, rdb, promotable}]``, optionally ``initial`` (it is
    redis_initial_master) and ``priority`` (its redis_replica_priority); ``rdb`` 0 means unknown (not
    checked).
    """
    if not isinstance(nodes, list) or not all(isinstance(n, dict) and "host" in n for n in nodes):
        raise AnsibleFilterError("replication_format_problems expects a list of {host, engine, rdb, promotable} dicts")
    known = [n for n in nodes if int(n.get("rdb") or 0) > 0]
    problems = []
    for src in (n for n in known if n.get("promotable")):
        behind = [n for n in known if n["host"] != src["host"] and int(n["rdb"]) < int(src["rdb"])]
        if not behind:
            continue
        who = ", ".join(_label(n) for n in behind)
        fix = (
            f"Upgrade {', '.join(n['host'] for n in behind)} first (a node on the newer release can follow "
            f"the older master, not the other way round), or set redis_replica_priority: 0 on {src['host']} "
            "until then so that the Sentinels never promote it (docs/platforms.md)."
        )
        if src.get("initial") and not int(src.get("priority", 100) or 0):
            # Sentinel never promotes it (priority 0 set already); it leads only as redis_initial_master,
            # which picks the master of a fresh cluster (a running one keeps the master the Sentinels name)
            fix = (
                f"{src['host']} has redis_replica_priority: 0 already but is redis_initial_master (the first "
                f"host of group redis by default): set redis_initial_master to {behind[0]['host']} until "
                f"{src['host']} is no longer the newest release, or upgrade the others first (docs/platforms.md)."
            )
        elif any(n.get("engine") == "valkey" for n in behind) and src.get("engine") != "valkey":
            # no Valkey release loads it: no upgrade of the follower helps
            fix = (
                f"Valkey 8 loads RDB 11 at most: {NAMES['redis']} {src.get('version', '?')} data cannot replicate into "
                "it, so a live migration to Valkey needs Redis 7.0 or 7.2 as the source (Debian 12's Redis 7.0); "
                f"set redis_replica_priority: 0 on {src['host']} and copy its data offline (docs/platforms.md)."
            )
        problems.append(
            f"{_label(src)} can become master, but {who} load{'s' if len(behind) == 1 else ''} older RDB versions "
            f"only and could not follow it after a failover. {fix}"
        )
    return problems


# The engine's own packages move together in a version pin (server, tools, sentinel share one source
# package); anything else (python3-redis) keeps the release's version.
PINNED = re.compile(r"^(redis|valkey)-(server|tools|sentinel)$")


def package_pins(packages: Any, version: Any) -> list[str]:
    """``packages`` with ``=version`` added to the engine's own packages; unchanged when version is empty."""
    if not isinstance(packages, list):
        raise AnsibleFilterError("package_pins expects a list of package names")
    version = "" if version is None else str(version)
    if not version:
        return [str(p) for p in packages]
    pinned = [f"{p}={version}" for p in packages if PINNED.match(str(p))]
    return pinned + [str(p) for p in packages if not PINNED.match(str(p))]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"replication_format_problems": replication_format_problems, "package_pins": package_pins}
