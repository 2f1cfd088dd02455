# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-host rules the roles share: the address a host announces, the service manager it uses."""

from __future__ import annotations

import re
from typing import Any

_IPV4 = re.compile(r"^(\d{1,3}\.){3}\d{1,3}$")


def _lookup(hv: Any, key: str) -> Any:
    try:
        return hv.get(key, None)
    except Exception:  # noqa: BLE001 - an undefined or failing template counts as unset
        return None


def announce_ip(hv: Any, keys: tuple[str, ...] = ("__redis_announce", "redis_announce_ip")) -> str | None:
    """The announce rule for one host's vars: explicit setting, else ansible_host when it is an
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


def service_manager(setting: str, service_mgr: str | None) -> str:
    """The service-manager rule: an explicit setting wins; `auto` means systemd where systemd is
    PID 1 (fact ansible_service_mgr), supervisor everywhere else (containers)."""
    if setting and setting != "auto":
        return setting
    return "systemd" if service_mgr == "systemd" else "supervisor"


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "announce_map": announce_map,
            "service_manager": service_manager,
        }
