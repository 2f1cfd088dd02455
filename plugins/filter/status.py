# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter `hakit.redis.status_table`: the health table the status playbook prints from ha_check."""

from __future__ import annotations

from typing import Any

ROW = "%-9s %-22s %-12s %-16s %s"


def _lag(replica: dict[str, Any]) -> str:
    lag = "-" if replica.get("offset_lag_bytes") is None else f"{replica['offset_lag_bytes']} B"
    if replica.get("last_io_seconds") is not None:
        lag += f" / {replica['last_io_seconds']} s"
    return lag


def status_table(result: dict[str, Any]) -> list[str]:
    """One line per master, replica and Sentinel, then quorum, VIP and the verdict (or the problems)."""
    master = result.get("master") or {}
    address = f"{master['host']}:{master['port']}" if master.get("host") else "unknown"
    sentinels = result.get("sentinels") or []
    named = sum(1 for s in sentinels if s.get("master") == address)
    view = f"{named} of {len(sentinels)} name it" if sentinels else "no Sentinel"
    rows = [ROW % ("ROLE", "ADDRESS", "LINK", "LAG", "SENTINEL VIEW")]
    rows.append(ROW % ("master", address, "role ok" if master.get("role_confirmed") else "NOT MASTER", "-", view))
    for r in result.get("replicas") or []:
        rows.append(ROW % ("replica", f"{r['host']}:{r['port']}", r.get("link_status"), _lag(r), ""))
    for s in sentinels:
        quorum = f"quorum {'OK' if s.get('ckquorum_ok') else 'NO'}" if s.get("reachable") else "-"
        rows.append(
            ROW
            % ("sentinel", s["address"], "up" if s.get("reachable") else "unreachable", quorum, s.get("master") or "-")
        )
    q = result.get("quorum") or {}
    if q.get("total"):
        rows.append(
            f"quorum {q.get('configured')}: {q.get('reachable')} of {q['total']} Sentinels up, "
            f"failover {'possible' if q.get('ok') else 'NOT possible'}"
        )
    vip = result.get("vip")
    if vip:
        rows.append(f"VIP {vip['address']} answers as {vip.get('holder_role')} ({'ok' if vip.get('ok') else 'WRONG'})")
    if result.get("healthy"):
        rows.append("healthy")
    else:
        rows += ["PROBLEMS:"] + [f"  - {p}" for p in result.get("problems") or []]
    return rows


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"status_table": status_table}
