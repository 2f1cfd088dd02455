# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide which redis host is the live master from probes of the hosts and the Sentinels."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ansible.errors import AnsibleFilterError


def parse_info(text: str) -> dict[str, str]:
    """INFO output as a dict (lines 'key:value'; section headers and blanks skipped)."""
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            key, _sep, value = line.partition(":")
            out[key] = value
    return out


def parse_sentinel_answer(text: str) -> tuple[str, int] | None:
    """'ip\\nport' from get-master-addr-by-name, or None when the Sentinel does not know it."""
    parts = [p.strip() for p in (text or "").split() if p.strip()]
    if len(parts) == 2 and parts[1].isdigit():
        return parts[0], int(parts[1])
    return None


def _answered(result: dict[str, Any]) -> bool:
    return (
        result.get("rc") == 0
        and "ERR" not in (result.get("stdout") or "")
        and "NOAUTH" not in (result.get("stdout") or "")
    )


def _host_for(ip: str, announce: dict[str, str | None]) -> str | None:
    for host, addr in announce.items():
        if addr == ip:
            return host
    return None


def decide(
    redis_results: list[dict[str, Any]],
    sentinel_results: list[dict[str, Any]],
    initial: str,
    announce: dict[str, str | None],
    default_port: int = 6379,
) -> dict[str, Any]:
    answered = [r for r in sentinel_results if _answered(r)]
    views = [v for v in (parse_sentinel_answer(r.get("stdout", "")) for r in answered) if v]
    if views:
        (ip, port), count = Counter(views).most_common(1)[0]
        if count * 2 <= len(answered):
            raise AnsibleFilterError(
                f"the Sentinels disagree on the master ({', '.join(f'{a}:{b}' for a, b in views)}) "
                "and none has a majority: let them settle (check their logs) and run again."
            )
        host = _host_for(ip, announce)
        if host is None:
            raise AnsibleFilterError(
                f"the Sentinels report master {ip}:{port}, which is no host of the 'redis' group "
                f"(announce addresses: {announce}); fix the inventory or sentinel_master_name."
            )
        return {"host": host, "ip": ip, "port": port, "source": "sentinel"}

    masters = []
    for r in redis_results:
        if r.get("rc") != 0:
            continue
        info = parse_info(r.get("stdout", ""))
        if info.get("role") == "master" and int(info.get("connected_slaves", "0") or 0) > 0:
            masters.append(r["item"])
    if len(masters) > 1:
        raise AnsibleFilterError(
            f"split brain: {', '.join(masters)} are all masters with replicas and no Sentinel decides. "
            "Choose the master whose data you keep, stop the others, and run again."
        )
    host = masters[0] if masters else initial
    return {
        "host": host,
        "ip": announce.get(host),
        "port": default_port,
        "source": "replication" if masters else "initial",
    }


def live_master(
    redis_results: list[dict[str, Any]],
    sentinel_results: list[dict[str, Any]],
    initial: str,
    announce: dict[str, str | None],
) -> dict[str, Any]:
    return decide(list(redis_results or []), list(sentinel_results or []), initial, dict(announce or {}))


_IPV4 = re.compile(r"^(\d{1,3}\.){3}\d{1,3}$")


def _lookup(hv: Any, key: str) -> Any:
    try:
        return hv.get(key, None)
    except Exception:  # noqa: BLE001 - an undefined or failing template counts as unset
        return None


def announce_ip(hv: Any, keys: tuple[str, ...] = ("__redis_announce", "redis_announce_ip")) -> str | None:
    """DESIGN's announce rule for one host's vars: explicit setting, else ansible_host when it is an
    IPv4 address, else the default IPv4 address from facts."""
    for key in keys:
        value = _lookup(hv, key)
        if value:
            return str(value)
    host = _lookup(hv, "ansible_host")
    if host and _IPV4.match(str(host)):
        return str(host)
    facts = _lookup(hv, "ansible_default_ipv4") or {}
    return facts.get("address") if isinstance(facts, dict) else None


def announce_map(hosts: list[str], hostvars: Any, keys: list[str] | None = None) -> dict[str, str | None]:
    """Inventory host -> announce address (None when it cannot be known yet)."""
    order = tuple(keys) if keys else ("__redis_announce", "redis_announce_ip")
    return {h: announce_ip(hostvars.get(h, {}), order) for h in hosts or []}


def probe_results(hosts: list[str], hostvars: Any, key: str = "__redis_probe_self") -> list[dict[str, Any]]:
    """Registered self-probes of the given hosts, as loop-style results ({item, rc, stdout})."""
    out = []
    for host in hosts or []:
        probe = _lookup(hostvars[host], key) if host in hostvars else None
        if isinstance(probe, dict) and "rc" in probe:
            out.append({"item": host, "rc": probe.get("rc"), "stdout": probe.get("stdout", "")})
        else:
            out.append({"item": host, "rc": None, "stdout": ""})
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "live_master": live_master,
            "announce_map": announce_map,
            "probe_results": probe_results,
        }
