"""Topology 3 (two Redis hosts, a Sentinel on each) loses a node: no failover, an outage.

Shows with a real run why topology 3 is not highly available: two Sentinels cannot form a majority
once one of them is gone, so the surviving replica is never promoted and writes stop until the node
returns. Own two-node lab (node1, node2 on hakit-chaos), built after test_faults.py's lab is removed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from chaoslab import DOWN_AFTER_MS, Lab, Writer, log


@pytest.fixture(scope="module")
def lab3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    the_lab = Lab(
        tmp_path_factory.mktemp("chaos-topology3"),
        redis_nodes=["node1", "node2"],
        sentinel_nodes=["node1", "node2"],
        vip=False,
        # Preflight refuses an even number of Sentinels unless acknowledged: that is the point here.
        extra_vars={"sentinel_allow_even_count": True},
    )
    try:
        the_lab.create()
        res = the_lab.playbook("topology3")
        if res.rc != 0:
            pytest.fail(f"hakit.redis.topology3 failed (rc {res.rc}):\n{res.output[-6000:]}")
        master = the_lab.wait_invariant(timeout=180)
        the_lab.wait_replicas_synced(master)
        yield the_lab
    finally:
        Lab.destroy()


def test_topology3_node_loss_is_an_outage(lab3: Lab) -> None:
    lab = lab3
    old = lab.wait_invariant()
    replica = next(n for n in lab.redis_nodes if n != old)
    w = Writer(f"t3:{int(time.time())}", "sentinel", lab.sentinel_nodes)
    w.start()
    w.wait_progress(20, acked=True)
    lab.stop_node(old)
    t_dead = time.time()
    try:
        time.sleep(4 * DOWN_AFTER_MS / 1000 + 5)
        assert lab.role(replica) == "slave", "the replica was promoted although one Sentinel is no majority"
        assert lab.sentinel_view(replica) == old, "the surviving Sentinel switched masters on its own"
        assert not w.ok_keys(after=t_dead + 2), "writes went on although no master was reachable"
        log(f"topology 3: no failover {time.time() - t_dead:.0f} s after losing {old} (outage, as documented)")
    finally:
        lab.start_node(old)
    assert lab.wait_invariant(timeout=120) == old
    w.wait_progress(20, acked=True)
    w.stop()
    assert not lab.missing(w.acked_keys(), old)
    lab.ha_check()
