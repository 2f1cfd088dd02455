"""A mixed-release cluster during an OS upgrade, host by host (issue 16, item 4; docs/platforms.md).

On the suite's bookworm topology-4 lab (Redis 7.0, RDB 10) the replica's host is upgraded the way an
operator upgrades a fleet: its container is replaced by an empty Debian 13 one (Redis 8.0, RDB 12)
under the same name and address, with a writer running. Redis 7.0 cannot load RDB 12, so the trixie
node must never become master while a bookworm node is left:

1. the plain inventory is refused by preflight before any host changes (the message names the
   hosts, the formats and the fix), and the master, the Sentinels and the writes are untouched;
2. with ``redis_replica_priority: 0`` on the trixie host (what docs/platforms.md prescribes; when
   that host is redis_initial_master, after a failover, preflight first asks for redis_initial_master
   to name a bookworm host, and the test does so) the run passes: the Redis 8 replica follows the
   Redis 7.0 master in sync, every Sentinel knows it (with priority 0), the invariant holds, a re-run
   changes nothing and no acknowledged write is lost.

The lab is restored afterwards (the node replaced again by a fresh bookworm host, converged).
`make chaos` (HAKIT_CHAOS_ALL=1), not the fast subset.
"""

from __future__ import annotations

import time

from chaoslab import IMAGES, IPS, REDIS_CONF, Lab, log, wait_for
from test_faults import assert_no_acked_loss, assert_rerun_unchanged, sentinel_master_state, start_writer


def server_version(lab: Lab, node: str) -> str:
    with lab.client(node) as c:
        return str(c.info("server")["redis_version"])


def host_state(lab: Lab, master: str, node: str) -> dict[str, object]:
    """What a refused run must leave as it was: the master's replication identity and files, the
    Sentinels' master, and the new host without any Redis package."""
    with lab.client(master) as c:
        info = c.info("replication")
    files = lab.exec(master, f"md5sum {REDIS_CONF} $(dirname {REDIS_CONF})/users.acl").stdout
    pkgs = lab.exec(node, "dpkg-query -W -f '${Package} ${Status}\\n' 'redis*' 'valkey*' 2>/dev/null").stdout
    installed = sorted(ln for ln in pkgs.splitlines() if ln.endswith(" installed"))
    return {
        "role": info["role"],
        "master_replid": info["master_replid"],
        "files": files,
        "sentinels": lab.master(),
        "packages on the new host": installed,
    }


def test_replica_upgraded_to_trixie_redis_8_follows_the_bookworm_master(healthy: Lab) -> None:
    lab = healthy
    master = lab.wait_invariant()
    replica = next(n for n in lab.redis_nodes if n != master)
    assert server_version(lab, master).startswith("7.0"), server_version(lab, master)
    ws = start_writer(lab, "mixed-release")
    t_start = time.time()
    try:
        # The host's OS upgrade: an empty Debian 13 host under the replica's name and address.
        lab.node_images[replica] = IMAGES["trixie"]
        lab.fresh_container(replica)
        release = lab.exec(replica, ". /etc/os-release; echo $VERSION_ID").stdout.strip()
        assert release == "13", f"{replica} runs Debian {release!r}, not 13"

        # 1. The plain inventory: the trixie node would be promotable, Redis 7.0 could not follow it.
        before = host_state(lab, master, replica)
        ok_before = ws.count()
        t_refused = time.time()
        res = lab.playbook()
        refusal = next((ln.strip() for ln in res.output.splitlines() if "can become master" in ln), "")
        log(f"refused run: rc {res.rc}, changed {res.changed}; message: {refusal}")
        assert res.rc != 0, "preflight let a promotable Redis 8 node join Redis 7.0 nodes"
        assert res.total_changed == 0, f"the refused run changed {res.changed}: {res.changed_tasks()}"
        for part in (replica, "RDB 12", master, "RDB 10", "redis_replica_priority: 0", "Nothing was changed"):
            assert part in refusal, f"{part!r} not in the refusal: {refusal or res.output[-4000:]}"
        after = host_state(lab, master, replica)
        assert after == before, f"the refused run changed the hosts: {before} -> {after}"
        assert not after["packages on the new host"], after
        ws.wait_progress(20)  # the master still takes writes (min-replicas-to-write 0 with one replica)
        errors = [e for e in ws.snapshot() if e[0] > t_refused and not e[2]]
        assert ws.count() > ok_before and not errors, f"writes failed during the refused run: {errors[:3]}"

        # 2. What docs/platforms.md prescribes until the rest is upgraded: never promote it.
        lab.host_vars[replica] = {"redis_replica_priority": 0}
        res = lab.playbook()
        if replica == lab.redis_nodes[0]:
            # The replica (after a failover) is redis_initial_master by default: the master of a fresh
            # cluster whatever its priority, so preflight wants redis_initial_master moved too.
            said = " ".join(res.output.split())
            log(f"priority 0 on the initial master: rc {res.rc}, changed {res.changed}")
            assert res.rc != 0 and res.total_changed == 0, res.output[-4000:]
            assert f"set redis_initial_master to {master}" in said, said[-4000:]
            lab.extra_vars["redis_initial_master"] = master
            res = lab.playbook()
        assert res.rc == 0, res.output[-6000:]
        assert lab.wait_invariant(timeout=180) == master, "the upgrade moved the master"
        lab.wait_replicas_synced(master, timeout=300)
        version = server_version(lab, replica)
        assert version.startswith("8."), f"{replica} runs Redis {version}, not Debian 13's Redis 8"
        with lab.client(replica) as c:
            assert c.info("replication")["master_link_status"] == "up"
            assert c.config_get("replica-priority")["replica-priority"] == "0"
        t_synced = time.time()
        log(f"{replica}: Redis {version} on Debian 13 in sync with {master} (Redis {server_version(lab, master)}) "
            f"{t_synced - t_start:.0f} s after the replacement")  # fmt: skip

        def sentinels_know_it() -> bool:
            for node in lab.sentinel_nodes:
                state = sentinel_master_state(lab, node)
                if state["num-slaves"] != "1" or state["num-other-sentinels"] != str(len(lab.sentinel_nodes) - 1):
                    return False
                with lab.client(node, 26379) as s:
                    reps = s.execute_command("SENTINEL", "REPLICAS", "mymaster")
                reps = [r if isinstance(r, dict) else dict(zip(r[::2], r[1::2], strict=True)) for r in reps]
                mine = [r for r in reps if r["ip"] == IPS[replica]]
                if len(mine) != 1 or mine[0]["flags"] != "slave" or mine[0]["slave-priority"] != "0":
                    return False
            return True

        wait_for(f"every Sentinel to know {replica} as a replica with priority 0", sentinels_know_it, 60)
        lab.ha_check()
        assert_rerun_unchanged(lab, master)
        ws.wait_progress(20, acked=True)
        log(f"longest write gap over the upgrade {ws.longest_gap(t_start, time.time()):.2f} s")
        assert_no_acked_loss(lab, master, ws)
    finally:
        ws.stop()
        # The suite's lab again: the node back on bookworm, without the override.
        lab.node_images.pop(replica, None)
        lab.host_vars.pop(replica, None)
        lab.extra_vars.pop("redis_initial_master", None)
        lab.fresh_container(replica)
        res = lab.playbook()
        assert res.rc == 0, res.output[-5000:]
        lab.wait_replicas_synced(lab.wait_invariant(timeout=180), timeout=300)
