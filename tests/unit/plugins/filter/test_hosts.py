"""The per-host rules: announce address and service manager."""

from __future__ import annotations

import pytest

from ansible_collections.hakit.redis.plugins.filter.hosts import announce_ip, announce_map, endpoints, service_manager


def test_announce_map_tolerates_hosts_without_the_fact() -> None:
    hostvars = {"node1": {"__redis_announce": "10.0.0.11"}, "node2": {}}
    assert announce_map(["node1", "node2", "node3"], hostvars) == {
        "node1": "10.0.0.11",
        "node2": None,
        "node3": None,
    }


def test_announce_rule_explicit_then_ipv4_host_then_default_ipv4() -> None:
    assert announce_ip({"redis_announce_ip": "10.0.0.5", "ansible_host": "10.0.0.6"}) == "10.0.0.5"
    assert announce_ip({"ansible_host": "10.0.0.6"}) == "10.0.0.6"
    assert announce_ip({"ansible_host": "node1", "ansible_default_ipv4": {"address": "10.0.0.7"}}) == "10.0.0.7"
    assert announce_ip({"ansible_host": "node1"}) is None


def test_announce_map_keys_pick_the_sentinel_setting_first() -> None:
    hv = {"w": {"sentinel_announce_ip": "10.0.0.9", "redis_announce_ip": "10.0.0.8"}}
    assert announce_map(["w"], hv, ["__sentinel_announce", "sentinel_announce_ip", "redis_announce_ip"]) == {
        "w": "10.0.0.9"
    }


@pytest.mark.parametrize(
    ("setting", "fact", "want"),
    [
        ("auto", "systemd", "systemd"),
        ("auto", "sysvinit", "supervisor"),
        ("auto", None, "supervisor"),
        ("supervisor", "systemd", "supervisor"),
        ("systemd", "sysvinit", "systemd"),
    ],
)
def test_service_manager_rule(setting: str, fact: str | None, want: str) -> None:
    assert service_manager(setting, fact) == want


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("10.0.0.1", True),
        ("172.28.10.100", True),
        ("10.0.0", False),
        ("999.1.1.1", False),
        ("node1", False),
        ("", False),
    ],
)
def test_ipv4_rule(value: str, ok: bool) -> None:
    from ansible_collections.hakit.redis.plugins.filter.hosts import is_ipv4

    assert is_ipv4(value) is ok


def test_announce_fallback_ends_at_the_given_last_resort() -> None:
    from ansible_collections.hakit.redis.plugins.filter.hosts import announce_fallback

    assert announce_fallback("node1", {}, "127.0.0.1") == "127.0.0.1"
    assert announce_fallback("", {"address": "10.0.0.7"}) == "10.0.0.7"


def test_same_subnet_and_interface_of() -> None:
    from ansible_collections.hakit.redis.plugins.filter.hosts import interface_of, same_subnet

    assert same_subnet("172.28.10.100", "172.28.10.11", 24)
    assert not same_subnet("172.28.11.100", "172.28.10.11", 24)
    facts = {
        "interfaces": ["lo", "eth-0"],
        "lo": {"ipv4": {"address": "127.0.0.1"}},
        "eth_0": {"ipv4": {"address": "10.0.0.11"}, "ipv4_secondaries": [{"address": "10.0.0.100"}]},
    }
    assert interface_of(facts, "10.0.0.100") == "eth-0"
    assert interface_of(facts, "10.0.0.99") == ""


def test_endpoints_follow_the_announce_rule_and_ports() -> None:
    hostvars = {
        "n1": {"redis_announce_ip": "10.0.0.11", "sentinel_announce_ip": "10.0.1.11", "sentinel_port": 26380},
        "n2": {"ansible_host": "10.0.0.12", "redis_port": 6380},
        "n3": {"ansible_host": "db3.example"},
    }
    assert endpoints(["n1", "n2", "n3"], hostvars) == ["10.0.0.11:6379", "10.0.0.12:6380", "db3.example:6379"]
    assert endpoints(["n1", "n3"], hostvars, "sentinel") == ["10.0.1.11:26380", "db3.example:26379"]
    with pytest.raises(ValueError, match="kind must be"):
        endpoints(["n1"], hostvars, "vip")
