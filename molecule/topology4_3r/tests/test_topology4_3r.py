"""Topology 4 with 1 master + 2 replicas: converge, health, one failover with the VIP (issue 6)."""

from __future__ import annotations

from hakit_testinfra import measure
from sentinel_cluster import (  # noqa: F401  (fixture and shared checks collected from here)
    Cluster,
    stop_and_time_failover,
    test_ha_check_healthy,
    test_replication_link_up,
    test_sentinel_ckquorum,
    test_sentinels_agree_and_see_everything,
    test_write_on_master_read_on_every_replica,
)
from vip_checks import assert_invariant, vip_client, wait_vip_on, write_through_vip_until_ok

testinfra_hosts = ["node3"]

VIP = "172.28.5.100"
LAYOUT = dict(
    scenario="topology4_3r",
    playbook="topology4",
    subnet_prefix="172.28.5",
    hosts=["node1", "node2", "node3", "node4"],
    redis_hosts=["node1", "node2", "node4"],
    sentinel_hosts=["node1", "node2", "node3"],
)


def test_vip_on_master_only(cluster: Cluster) -> None:
    wait_vip_on(cluster, VIP, cluster.master())
    assert_invariant(cluster, VIP)


def test_min_replicas_to_write_defaults_to_one(cluster: Cluster) -> None:
    assert cluster.redis(cluster.master()).config_get("min-replicas-to-write") == {"min-replicas-to-write": "1"}


def test_master_container_stop_moves_vip(cluster: Cluster) -> None:
    old = cluster.master()
    try:
        new, seconds = stop_and_time_failover(cluster, old, lambda: cluster.stop_container(old), 60)
        measure("topology4_3r.failover_master_container_stop", seconds)
        measure("topology4_3r.vip_write_ok_after_failover", write_through_vip_until_ok(cluster, VIP))
        wait_vip_on(cluster, VIP, new)
        assert vip_client(cluster, VIP).set("hakit:molecule:after-failover", "1")
    finally:
        cluster.restore_all()
    wait_vip_on(cluster, VIP, cluster.master())
    assert_invariant(cluster, VIP)
