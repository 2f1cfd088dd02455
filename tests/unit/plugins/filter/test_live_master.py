"""The live master decision: Sentinel majority first, never a demotion by a re-run."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.hakit.redis.plugins.filter.live_master import announce_map, decide

ANN = {"node1": "10.0.0.11", "node2": "10.0.0.12"}


def redis(host: str, role: str = "master", slaves: int = 0, rc: int = 0) -> dict:
    return {"item": host, "rc": rc, "stdout": f"# Replication\nrole:{role}\nconnected_slaves:{slaves}\n"}


def sentinel(answer: str | None, rc: int = 0) -> dict:
    return {"rc": rc, "stdout": answer or ""}


def test_fresh_cluster_uses_initial_master() -> None:
    got = decide([redis("node1", rc=1), redis("node2", rc=1)], [sentinel(None, rc=1)], "node1", ANN)
    assert got == {"host": "node1", "ip": "10.0.0.11", "port": 6379, "source": "initial"}


def test_sentinel_majority_wins_after_failover() -> None:
    # node2 was promoted; node1 (the initial master) is down: a re-run must keep node2.
    got = decide(
        [redis("node1", rc=1), redis("node2", slaves=0)],
        [sentinel("10.0.0.12\n6379"), sentinel("10.0.0.12\n6379"), sentinel(None, rc=1)],
        "node1",
        ANN,
    )
    assert got["host"] == "node2" and got["source"] == "sentinel"


def test_master_with_replicas_beats_initial_when_no_sentinel_knows() -> None:
    got = decide([redis("node1", "slave"), redis("node2", slaves=1)], [], "node1", ANN)
    assert got["host"] == "node2" and got["source"] == "replication"


def test_split_brain_refuses() -> None:
    with pytest.raises(AnsibleFilterError, match="split brain"):
        decide([redis("node1", slaves=1), redis("node2", slaves=1)], [], "node1", ANN)


def test_sentinels_without_majority_refuse() -> None:
    with pytest.raises(AnsibleFilterError, match="disagree"):
        decide([], [sentinel("10.0.0.11\n6379"), sentinel("10.0.0.12\n6379")], "node1", ANN)


def test_sentinel_naming_unknown_address_refuses() -> None:
    with pytest.raises(AnsibleFilterError, match="no host of the 'redis' group"):
        decide([], [sentinel("127.0.0.1\n6379")], "node1", ANN)


def test_announce_map_tolerates_hosts_without_the_fact() -> None:
    hostvars = {"node1": {"__redis_announce": "10.0.0.11"}, "node2": {}}
    assert announce_map(["node1", "node2", "node3"], hostvars) == {
        "node1": "10.0.0.11",
        "node2": None,
        "node3": None,
    }


def test_announce_rule_explicit_then_ipv4_host_then_default_ipv4() -> None:
    from ansible_collections.hakit.redis.plugins.filter.live_master import announce_ip

    assert announce_ip({"redis_announce_ip": "10.0.0.5", "ansible_host": "10.0.0.6"}) == "10.0.0.5"
    assert announce_ip({"ansible_host": "10.0.0.6"}) == "10.0.0.6"
    assert announce_ip({"ansible_host": "node1", "ansible_default_ipv4": {"address": "10.0.0.7"}}) == "10.0.0.7"
    assert announce_ip({"ansible_host": "node1"}) is None


def test_probe_results_mark_hosts_without_a_probe_unknown() -> None:
    from ansible_collections.hakit.redis.plugins.filter.live_master import probe_results

    hv = {"node1": {"__redis_probe_self": {"rc": 0, "stdout": "role:master"}}, "node2": {}}
    assert probe_results(["node1", "node2"], hv) == [
        {"item": "node1", "rc": 0, "stdout": "role:master"},
        {"item": "node2", "rc": None, "stdout": ""},
    ]
