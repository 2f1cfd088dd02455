"""failure_analysis finds, for each topology, which single failures it survives (and why)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.hakit.redis.plugins.filter.topology import FilterModule, analyse

T1 = {"redis": ["node1"]}
T2 = {"redis": ["node1", "node2"], "sentinel": ["node2"]}
T3 = {"redis": ["node1", "node2"], "sentinel": ["node1", "node2"]}
T4 = {"redis": ["node1", "node2"], "sentinel": ["node1", "node2", "node3"], "vip": True}
T4_3R = {"redis": ["node1", "node2", "node3"], "sentinel": ["node1", "node2", "node3"], "vip": True}
OUTAGES = ("down", "down until restart")


def by_failure(topology: dict[str, Any], **extra: Any) -> dict[str, dict[str, Any]]:
    return {entry["failure"]: entry for entry in analyse(**topology, **extra)}


def test_topology1_down_on_node_loss_and_until_restart_on_crash() -> None:
    result = by_failure(T1)
    assert list(result) == ["process crash: redis-server on node1", "node loss: node1"]
    assert result["node loss: node1"]["writes"] == "down"
    assert result["process crash: redis-server on node1"]["writes"] == "down until restart"
    assert "no Sentinel" in result["node loss: node1"]["reason"]


def test_topology2_fails_over_on_master_node_loss() -> None:
    entry = by_failure(T2)["node loss: node1"]
    assert entry["failover"] is True
    assert entry["writes"] not in OUTAGES
    assert "promote node2" in entry["reason"]


def test_topology2_sentinel_loss_leaves_no_failover() -> None:
    entry = by_failure(T2)["process crash: redis-sentinel on node2"]
    assert entry["writes"] == "degraded"
    assert "no automatic failover" in entry["reason"]


def test_topology2_partition_is_a_split_brain_warning() -> None:
    entry = by_failure(T2)["partition: node1 <-> node2"]
    assert entry["failover"] is True
    assert entry["warning"].startswith("split brain: node1 keeps accepting writes")


def test_topology3_fails_over_on_master_process_crash_not_on_node_loss() -> None:
    result = by_failure(T3)
    crash = result["process crash: redis-server on node1"]
    assert crash["failover"] is True and crash["writes"] == "ok"
    loss = result["node loss: node1"]
    assert loss["failover"] is False and loss["writes"] == "down"
    assert "1 of 2 Sentinels left, a failover needs 2" in loss["reason"]


def test_topology3_partition_does_not_split_brain() -> None:
    entry = by_failure(T3)["partition: node1 <-> node2"]
    assert entry["failover"] is False and entry["warning"] is None
    assert entry["writes"] == "degraded"


@pytest.mark.parametrize("topology", [T4, T4_3R], ids=["1m1r", "1m2r"])
def test_topology4_survives_every_single_failure(topology: dict[str, Any]) -> None:
    result = analyse(**topology)
    assert [e["failure"] for e in result if e["writes"] in OUTAGES] == []
    assert [e["warning"] for e in result if e["warning"]] == []
    assert by_failure(topology)["node loss: node1"]["failover"] is True
    assert "the VIP moves to node2" in by_failure(topology)["node loss: node1"]["reason"]


def test_topology4_with_two_replicas_stays_fully_redundant() -> None:
    result = analyse(**T4_3R)
    assert {e["writes"] for e in result} == {"ok"}


def test_topology4_lists_every_failure() -> None:
    failures = [e["failure"] for e in analyse(**T4)]
    assert failures == [
        "process crash: redis-server on node1",
        "process crash: redis-sentinel on node1",
        "process crash: keepalived on node1",
        "process crash: redis-server on node2",
        "process crash: redis-sentinel on node2",
        "process crash: keepalived on node2",
        "process crash: redis-sentinel on node3",
        "node loss: node1",
        "node loss: node2",
        "node loss: node3",
        "partition: node1 <-> node2",
        "partition: node1 <-> node3",
        "partition: node2 <-> node3",
    ]


@pytest.mark.parametrize(
    ("topology", "failure", "writes"),
    [
        (T4, "node loss: node2", "down"),
        (T4, "process crash: redis-server on node2", "down until restart"),
        (T4, "partition: node1 <-> node2", "down"),
        (T4, "node loss: node1", "down"),  # the promoted node2 has no replica either
        (T3, "node loss: node2", "down"),
        (T2, "node loss: node2", "down"),
    ],
)
def test_min_replicas_to_write_with_one_replica_turns_replica_loss_into_outage(
    topology: dict[str, Any], failure: str, writes: str
) -> None:
    entry = by_failure(topology, min_replicas_to_write=1)[failure]
    assert entry["writes"] == writes
    assert "min-replicas-to-write 1" in entry["warning"]


def test_min_replicas_to_write_with_two_replicas_tolerates_one_loss() -> None:
    result = analyse(**T4_3R, min_replicas_to_write=1)
    assert [e["failure"] for e in result if e["writes"] in OUTAGES] == []


def test_min_replicas_to_write_bounds_split_brain() -> None:
    entry = by_failure(T2, min_replicas_to_write=1)["partition: node1 <-> node2"]
    assert "refuses writes within min-replicas-max-lag + 2 s" in entry["warning"]
    assert "redis_fencing" in by_failure(T2)["partition: node1 <-> node2"]["warning"]


def test_quorum_one_in_topology3_still_needs_a_majority() -> None:
    result = by_failure(T3, quorum=1)
    assert result["node loss: node1"]["writes"] == "down"
    assert result["partition: node1 <-> node2"]["warning"] is None


def test_non_default_master() -> None:
    result = by_failure(T4, master="node2")
    assert result["node loss: node2"]["failover"] is True
    assert "promote node1" in result["node loss: node2"]["reason"]


def test_filter_takes_groups_and_params() -> None:
    groups = {"all": ["node1", "node2", "node3"], "ungrouped": [], **{k: v for k, v in T4.items() if k != "vip"}}
    flt = FilterModule().filters()["failure_analysis"]
    assert flt(groups, {"vip": "172.28.4.100", "quorum": 2}) == analyse(**T4, quorum=2)
    assert flt(groups, vip=True) == analyse(**T4)
    assert flt(groups, {"vip": "False"}) == analyse(**{**T4, "vip": False})
    assert flt({"db": ["a"]}, redis_group="db") == analyse(redis=["a"])


# Every reason that names who restarts a crashed process: (topology, failure, reason with {} for it).
RESTART_REASONS = (
    (T1, "process crash: redis-server on node1", "writes stop until {} restarts redis-server on node1"),
    (T4, "process crash: redis-server on node1", "writes pause until {} restarts redis-server on node1"),
    (T2, "process crash: redis-sentinel on node2", "no automatic failover until {} restarts it"),
    (T4, "process crash: keepalived on node1", "after an abrupt exit and {} restarts keepalived"),
)


@pytest.mark.parametrize(
    ("manager", "who", "not_who"), [("supervisor", "the supervisor", "systemd"), ("systemd", "systemd", "supervisor")]
)
def test_restarts_are_worded_for_the_service_manager(manager: str, who: str, not_who: str) -> None:
    for topology, failure, reason in RESTART_REASONS:
        entry = by_failure(topology, service_manager=manager)[failure]
        assert reason.format(who) in entry["reason"], entry["reason"]
        assert not_who not in entry["reason"]


def test_restarts_are_the_supervisors_by_default() -> None:
    """Callers from before the option (and the generated docs/failure-analysis.md) keep their wording."""
    assert analyse(**T4) == analyse(**T4, service_manager="supervisor")
    groups = {k: v for k, v in T4.items() if k != "vip"}
    flt = FilterModule().filters()["failure_analysis"]
    assert flt(groups, {"vip": True, "service_manager": "systemd"}) == analyse(**T4, service_manager="systemd")
    assert flt(groups, {"vip": True}, service_manager="systemd") != flt(groups, {"vip": True})


@pytest.mark.parametrize(
    ("groups", "params", "message"),
    [
        ({"redis": []}, {}, "the redis group is empty"),
        ({"redis": ["a"]}, {"master": "b"}, "master b is not in the redis group (a)"),
        ({"redis": ["a"]}, {"colour": 1}, "unknown option(s) colour"),
        ({"redis": ["a"], "sentinel": ["a"]}, {"quorum": 0}, "quorum must be at least 1"),
        (["a"], {}, "input must be the groups dict"),
        ({"redis": ["a"]}, {"service_manager": "auto"}, "service_manager must be supervisor or systemd, got 'auto'"),
    ],
)
def test_filter_errors_are_clear(groups: Any, params: dict[str, Any], message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FilterModule().filters()["failure_analysis"](groups, params)
