"""Redis -> Valkey on a running topology-4 cluster, by replacement, with writers running (issue 16).

The realistic path (docs/platforms.md): Debian 12's Redis 7.0 (RDB 10) to Debian 13's Valkey 8.1
(RDB 11, which Redis 7.0 cannot load, so the old nodes cannot follow a Valkey master and leave right
after the switchover). Steps, each an ordinary playbook run on the edited inventory:

1. two trixie hosts join with redis_engine: valkey and redis_replica_priority: 0 (preflight refuses
   them as promotable while Redis 7.0 nodes could not follow them), Redis + Sentinel each: they
   take a full sync from the Redis master (hakit.redis.site);
2. the priorities swap (the old nodes 0, the new ones 100) with redis_mixed_formats_accepted: true
   (hakit.redis.site), then hakit.redis.switchover -e target=node4;
3. hakit.redis.remove_node for node1 and node2, both out of the inventory, hakit.redis.topology4
   (2 Valkey hosts + the bookworm Sentinel-only node3), and a re-run with changed=0.

Writers through the VIP and through Sentinel (node3, which stays) run all along: no acknowledged
write is lost, and the longest write gap is reported. Own lab on HAKIT_CHAOS_NET (15 for the
issue-16 work); `make chaos` (not the fast subset). Named to be collected last: like
test_topology3.py it builds its own lab on the suite's addresses once the others are gone.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest
from chaoslab import IMAGES, Lab, Writer, log

OLD = ["node1", "node2"]
NEW = ["node4", "node5"]


@pytest.fixture(scope="module")
def old_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    the_lab = Lab(
        tmp_path_factory.mktemp("chaos-migrate"),
        node_images={n: IMAGES["trixie"] for n in NEW},
        # Redis 7.0 on bookworm whatever HAKIT_CHAOS_ENGINE says: this test is about the way from it.
        host_vars={
            **{n: {"redis_engine": "redis"} for n in ["node1", "node2", "node3"]},
            **{n: {"redis_engine": "valkey", "redis_replica_priority": 0} for n in NEW},
        },
    )
    try:
        the_lab.create()
        res = the_lab.playbook("topology4")
        if res.rc != 0:
            pytest.fail(f"hakit.redis.topology4 failed (rc {res.rc}):\n{res.output[-6000:]}")
        master = the_lab.wait_invariant(timeout=180)
        the_lab.wait_replicas_synced(master)
        yield the_lab
    finally:
        Lab.destroy()


def server_name(lab: Lab, node: str) -> str:
    info = lab.client(node).info("server")
    return str(info.get("server_name") or "redis") + " " + str(info.get("valkey_version") or info["redis_version"])


def where_gap(w: Writer, marks: list[tuple[str, float]], end: float) -> str:
    """Where the writer's longest gap fell: between which steps, and the errors it saw meanwhile."""
    times = sorted(t for t, _, ok, _, _ in w.snapshot() if ok)
    pairs = [(a, b) for a, b in itertools.pairwise(times) if b >= marks[0][1] and a <= end]
    if not pairs:
        return "no gap"
    a, b = max(pairs, key=lambda p: p[1] - p[0])
    step = [name for name, t in marks if t <= a][-1]
    errors = sorted({e[4][:80] for e in w.snapshot() if a < e[0] < b and not e[2]})
    return f"it began {a - marks[0][1]:.1f} s in, after the step '{step}'; errors meanwhile: {errors[:4]}"


def test_redis_7_to_valkey_8_by_replacement_loses_no_acknowledged_write(old_cluster: Lab) -> None:
    lab = old_cluster
    old_master = lab.wait_invariant()
    assert server_name(lab, old_master).startswith("redis 7.0"), server_name(lab, old_master)
    prefix = f"migrate:{int(time.time())}"
    wv = Writer(f"{prefix}:vip", "vip")
    ws = Writer(f"{prefix}:sentinel", "sentinel", ["node3"])
    for w in (wv, ws):
        w.start()
        w.wait_progress(20, acked=True)
    t_start = time.time()
    marks: list[tuple[str, float]] = [("start", t_start)]

    # 1. Valkey replicas (and Sentinels) join the Redis master
    for n in NEW:
        lab._run_container(n)
    lab._install_iptables(NEW)
    lab.redis_nodes += NEW
    lab.sentinel_nodes += NEW
    res = lab.playbook("site")
    assert res.rc == 0, res.output[-6000:]
    assert lab.wait_invariant(timeout=180) == old_master
    lab.wait_replicas_synced(old_master, timeout=300)
    for n in NEW:
        assert server_name(lab, n).startswith("valkey 8."), server_name(lab, n)
    t_joined = time.time()
    marks.append(("Valkey replicas joined and in sync", t_joined))
    log(f"step 1: Valkey replicas in sync in {t_joined - t_start:.0f} s")

    # 2. the master moves to Valkey
    for n in OLD:
        lab.host_vars[n]["redis_replica_priority"] = 0
    for n in NEW:
        lab.host_vars[n].pop("redis_replica_priority")
    lab.extra_vars["redis_mixed_formats_accepted"] = True
    res = lab.playbook("site")
    assert res.rc == 0, res.output[-6000:]
    t_switch = time.time()
    marks.append(("priorities set (site run)", t_switch))
    res = lab.playbook("switchover", extra={"target": "node4"})
    assert res.rc == 0, res.output[-6000:]
    for w in (wv, ws):
        w.wait_progress(20, acked=True)
    t_switched = time.time()
    marks.append(("switchover to node4 done", t_switched))
    gv, gs = wv.longest_gap(t_switch, t_switched), ws.longest_gap(t_switch, t_switched)
    gaps = f"via VIP {gv:.2f} s, via Sentinel {gs:.2f} s"
    log(f"step 2: switchover to node4 in {res.seconds:.0f} s; longest write gap {gaps}")

    # 3. the Redis hosts leave; the inventory is the new one
    res = lab.playbook("remove_node", extra={"node": "node1", "replace": True})
    assert res.rc == 0, res.output[-6000:]
    lab.redis_nodes.remove("node1")
    lab.sentinel_nodes.remove("node1")
    marks.append(("node1 removed", time.time()))
    res = lab.playbook("remove_node", extra={"node": "node2"})
    assert res.rc == 0, res.output[-6000:]
    marks.append(("node2 removed", time.time()))
    lab.redis_nodes.remove("node2")
    lab.sentinel_nodes.remove("node2")
    lab.extra_vars.pop("redis_mixed_formats_accepted")
    for n in OLD:
        lab.stop_node(n)
    marks.append(("old nodes stopped", time.time()))
    res = lab.playbook("topology4")
    marks.append(("topology4 run on the new inventory", time.time()))
    assert res.rc == 0, res.output[-6000:]
    new_master = lab.wait_invariant(timeout=180)
    assert new_master == "node4"
    lab.wait_replicas_synced(new_master)
    for w in (wv, ws):
        w.wait_progress(20, acked=True)
    t_end = time.time()
    res = lab.playbook("topology4")
    assert res.rc == 0 and res.total_changed == 0, f"re-run changed {res.changed}: {res.changed_tasks()}"

    for w in (wv, ws):
        w.stop()
        acked = w.acked_keys()
        lost = lab.missing(acked, new_master)
        gap = w.longest_gap(t_start, t_end)
        log(f"{w.name}: {len(acked)} acknowledged, {w.count()} ok, lost {len(lost)}, "
            f"longest gap over the migration {gap:.2f} s ({t_end - t_start:.0f} s)")  # fmt: skip
        log(f"{w.name}: the longest gap {where_gap(w, marks, t_end)}")
        assert not lost, f"{len(lost)} of {len(acked)} acknowledged writes lost, e.g. {lost[:5]}"
