"""Topology 2 (master + replica, one Sentinel on the replica's node): issue 4 item 5.

Read-only checks first, then the failover (the master's container stopped -> the replica is
promoted), the re-run with the old master down (``--limit '!<old master>'``, as preflight refuses an
unreachable host), its return as a replica and a full re-run. Every test leaves the cluster as it
found it: containers running, programs started, one master and its replica healthy.
"""

from __future__ import annotations

from typing import Any

from sentinel_cluster import (  # noqa: F401  (fixture and shared checks collected from here)
    Cluster,
    fail_over_and_rerun,
    test_ha_check_healthy,
    test_replication_link_up,
    test_sentinel_ckquorum,
    test_sentinels_agree_and_see_everything,
    test_write_on_master_read_on_every_replica,
)

# The only Sentinel's node: ha_check runs there.
testinfra_hosts = ["node2"]

LAYOUT = dict(
    scenario="topology2",
    playbook="topology2",
    subnet_prefix="172.28.2",
    hosts=["node1", "node2"],
    redis_hosts=["node1", "node2"],
    sentinel_hosts=["node2"],
)
FAILOVER_BOUND_S = 60.0


def test_master_container_stop_promotes_replica_and_reruns_are_clean(cluster: Cluster) -> None:
    # The Sentinel must outlive the master: with the layout above the master is the node without it.
    assert cluster.master() not in cluster.sentinel_hosts, "the master is the Sentinel's node: nothing could fail over"
    fail_over_and_rerun(cluster, "master_container_stop", cluster.stop_container, cluster.restore, FAILOVER_BOUND_S)


def test_ha_check_after_failover(host: Any, cluster: Cluster) -> None:
    test_ha_check_healthy(host, cluster)
