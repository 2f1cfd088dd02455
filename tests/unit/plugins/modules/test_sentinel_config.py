"""sentinel_config's plan: never move a Sentinel off a valid (possibly promoted) master."""

from __future__ import annotations

from ansible_collections.hakit.redis.plugins.modules.sentinel_config import mask, plan

PARAMS = {
    "master_name": "mymaster",
    "master": {"host": "10.0.0.11", "port": 6379},
    "valid_masters": ["10.0.0.11", "10.0.0.12"],
    "quorum": 2,
    "auth_pass": "secret",
    "settings": {"down-after-milliseconds": 5000},
}
STATE = {"ip": "10.0.0.12", "port": "6379", "quorum": "2", "down-after-milliseconds": "5000"}


def test_in_sync_sentinel_gets_no_command() -> None:
    assert plan(dict(STATE), PARAMS, "secret") == []


def test_promoted_master_is_kept() -> None:
    # Sentinel monitors node2 after a failover although the inventory's initial master is node1.
    cmds = plan(dict(STATE), PARAMS, "secret")
    assert not any(c[1] in ("MONITOR", "REMOVE") for c in cmds)


def test_unknown_sentinel_is_told_to_monitor_then_configured() -> None:
    cmds = plan(None, PARAMS, None)
    assert cmds[0] == ["SENTINEL", "MONITOR", "mymaster", "10.0.0.11", "6379", "2"]
    assert ["SENTINEL", "SET", "mymaster", "down-after-milliseconds", "5000"] in cmds
    assert ["SENTINEL", "SET", "mymaster", "auth-pass", "secret"] in cmds


def test_distro_default_monitor_is_replaced() -> None:
    cmds = plan({**STATE, "ip": "127.0.0.1"}, PARAMS, None)
    assert cmds[0] == ["SENTINEL", "REMOVE", "mymaster"]
    assert cmds[1][1] == "MONITOR"


def test_changed_settings_and_password_are_set() -> None:
    cmds = plan({**STATE, "quorum": "1", "down-after-milliseconds": "30000"}, PARAMS, "old")
    assert ["SENTINEL", "SET", "mymaster", "quorum", "2"] in cmds
    assert ["SENTINEL", "SET", "mymaster", "down-after-milliseconds", "5000"] in cmds
    assert mask(cmds[-1]) == "SENTINEL SET mymaster auth-pass ********"
