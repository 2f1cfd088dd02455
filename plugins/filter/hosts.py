# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-host rules the roles share: IPv4 addresses, the address a host announces, the interface and
subnet of an address, the service manager a host uses."""

from __future__ import annotations

import ipaddress
from typing import Any


def is_ipv4(value: Any) -> bool:
    """The IPv4 rule of the collection: a dotted quad that is a valid address (no ranges, no names)."""
    try:
        ipaddress.IPv4Address(str(value))
    except ValueError:
        return False
    return True


def announce_fallback(ansible_host: Any, default_ipv4: Any, last: str | None = None) -> str | None:
    """The announce rule without an explicit setting: ansible_host when it is an IPv4 address, else
    the default IPv4 address from facts, else `last`."""
    if ansible_host and is_ipv4(ansible_host):
        return str(ansible_host)
    address = default_ipv4.get("address") if isinstance(default_ipv4, dict) else None
    return address or last


def same_subnet(address: str, other: str, prefix: Any) -> bool:
    """Whether two IPv4 addresses lie in one /prefix network (the VIP and its interface's address)."""
    net = ipaddress.IPv4Network(f"{other}/{int(prefix)}", strict=False)
    return ipaddress.IPv4Address(address) in net


def interface_of(facts: dict[str, Any], address: str) -> str:
    """The interface holding `address` (primary or secondary IPv4), '' when none does."""
    for name in facts.get("interfaces", []) or []:
        iface = facts.get(name.replace("-", "_")) or {}
        ipv4 = iface.get("ipv4") or {}
        addresses = [ipv4.get("address")] + [a.get("address") for a in iface.get("ipv4_secondaries") or []]
        if address in addresses:
            return name
    return ""


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
    return announce_fallback(_lookup(hv, "ansible_host"), _lookup(hv, "ansible_default_ipv4"))


def announce_map(hosts: list[str], hostvars: Any, keys: list[str] | None = None) -> dict[str, str | None]:
    """Inventory host -> announce address (None when it cannot be known yet)."""
    order = tuple(keys) if keys else ("__redis_announce", "redis_announce_ip")
    return {h: announce_ip(hostvars.get(h, {}), order) for h in hosts or []}


def endpoints(hosts: list[str], hostvars: Any, kind: str = "redis") -> list[str]:
    """ "address:port" of each host's Redis (kind redis) or Sentinel (kind sentinel), by the announce
    rule; a host whose address no rule gives yet (no facts) by its ansible_host or name. The form
    ha_check and switchover take."""
    if kind not in ("redis", "sentinel"):
        raise ValueError(f"endpoints: kind must be redis or sentinel, not {kind!r}")
    sentinel = kind == "sentinel"
    keys = ("sentinel_announce_ip", "redis_announce_ip") if sentinel else ("__redis_announce", "redis_announce_ip")
    port_key, default_port = ("sentinel_port", 26379) if sentinel else ("redis_port", 6379)
    out = []
    for host in hosts or []:
        hv = hostvars.get(host, {})
        address = announce_ip(hv, keys) or _lookup(hv, "ansible_host") or host
        out.append(f"{address}:{_lookup(hv, port_key) or default_port}")
    return out


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
            "announce_fallback": announce_fallback,
            "endpoints": endpoints,
            "interface_of": interface_of,
            "same_subnet": same_subnet,
            "service_manager": service_manager,
        }
