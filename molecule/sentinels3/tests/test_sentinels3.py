"""Three Sentinels, no VIP (node1, node2 redis + Sentinel; node3 Sentinel only): issue 4 item 5.

With the Prometheus exporter (issue 17): each node's exporter reports redis_up 1 and replication,
each Sentinel's its view of the master and the quorum (exporter_checks.py).

Read-only checks first. Then, in this order (each test restores what it broke and starts from
whatever master the Sentinels name):
  - the master's container stopped: 2 of 3 Sentinels remain, a majority -> failover; the re-run with
    the old master left out (``--limit``) is changed=0, the old master comes back as a replica, a full
    re-run is changed=0;
  - the Sentinel-only node stopped: no failover, writes on the master still accepted and replicated.
"""

from __future__ import annotations

import time
import uuid

from exporter_checks import (  # noqa: F401  (collected from here; exporter_enabled in molecule.yml)
    test_exporter_reports_each_redis_node,
    test_exporter_reports_each_sentinel,
)
from hakit_testinfra import measure, wait_until
from sentinel_cluster import (  # noqa: F401  (fixture and shared checks collected from here)
    Cluster,
    fail_over_and_rerun,
    test_ha_check_healthy,
    test_replication_link_up,
    test_sentinel_ckquorum,
    test_sentinels_agree_and_see_everything,
    test_write_on_master_read_on_every_replica,
)

# ha_check runs on the Sentinel-only node (stopped only in the last test).
testinfra_hosts = ["node3"]

LAYOUT = dict(
    scenario="sentinels3",
    playbook="site",
    subnet_prefix="172.28.6",
    hosts=["node1", "node2", "node3"],
    redis_hosts=["node1", "node2"],
    sentinel_hosts=["node1", "node2", "node3"],
)
FAILOVER_BOUND_S = 60.0
SENTINEL_ONLY = "node3"


def test_master_container_stop_fails_over_and_reruns_are_clean(cluster: Cluster) -> None:
    fail_over_and_rerun(cluster, "master_container_stop", cluster.stop_container, cluster.restore, FAILOVER_BOUND_S)


def test_sentinel_only_node_loss_no_failover_writes_accepted(cluster: Cluster) -> None:
    master = cluster.master()
    (replica,) = [h for h in cluster.redis_hosts if h != master]
    rest = [s for s in cluster.sentinel_hosts if s != SENTINEL_ONLY]
    window = 3 * cluster.down_after_s
    try:
        start = time.monotonic()
        cluster.stop_container(SENTINEL_ONLY)
        while time.monotonic() - start < window:
            for s in rest:
                assert cluster.sentinel_master_addr(s) == cluster.ip(master)
                assert cluster.sentinel_master(s)["flags"] == "master"
            assert cluster.role(master) == "master"
            assert cluster.role(replica) == "slave"
            key, value = f"hakit:molecule:{uuid.uuid4()}", str(uuid.uuid4())
            assert cluster.redis(master).set(key, value)
            wait_until(lambda k=key, v=value: cluster.redis(replica).get(k) == v, 10, 0.1)
            cluster.redis(master).delete(key)
            time.sleep(0.5)
        measure("sentinels3.sentinel_only_loss_window_observed", time.monotonic() - start)
    finally:
        cluster.restore_all()
    assert cluster.master() == master
