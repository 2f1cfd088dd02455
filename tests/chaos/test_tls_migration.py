"""Issue 15 item 5: a running plaintext topology-4 cluster moves to TLS in place, under a steady writer.

Run 1 (redis_tls, redis_port 6380 for TLS, redis_tls_plaintext_port 6379 kept): Redis opens TLS at
runtime beside plaintext (CONFIG SET, no restart), replication moves to the TLS port, the VIP check
accepts both, the Sentinels move to TLS one at a time. The clients then move (a writer on VIP:6380
over TLS replaces the one on VIP:6379). Run 2 (without redis_tls_plaintext_port) closes plaintext
(CONFIG SET port 0). Throughout: no failover, no redis-server restart, no acknowledged write lost.

Own lab (plaintext, so skipped with HAKIT_CHAOS_TLS=1); slow: `make test-full` / HAKIT_CHAOS_ALL=1.
"""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Iterator

import chaoslab
import pytest
import redis
from chaoslab import IPS, Lab, Writer, log
from test_faults import assert_no_acked_loss, assert_rerun_unchanged
from test_rotation import sync_counters

pytestmark = pytest.mark.skipif(chaoslab.TLS, reason="starts from a plaintext lab (without HAKIT_CHAOS_TLS=1)")

PLAIN_PORT = 6379
TLS_PORT = 6380


@pytest.fixture(scope="module")
def plain_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    # The VIP check's TLS budget (as in the TLS lab) from the start: keepalived.conf then stays as it is
    # through the move, and a reload of it is not what the write gaps measure.
    the_lab = Lab(
        tmp_path_factory.mktemp("chaos-tls-migration"),
        extra_vars={"vip_check_call_timeout": 2.0, "vip_check_timeout": 5},
    )
    try:
        the_lab.create()
        res = the_lab.playbook()
        if res.rc != 0:
            pytest.fail(f"hakit.redis.topology4 failed (rc {res.rc}):\n{res.output[-6000:]}")
        master = the_lab.wait_invariant(timeout=180)
        the_lab.wait_replicas_synced(master)
        log(f"plaintext lab ready, master {master}")
        yield the_lab
    finally:
        Lab.destroy()
        chaoslab.REDIS_PORT = PLAIN_PORT
        chaoslab.TLS_KW.clear()


def start_times(lab: Lab) -> dict[str, str]:
    """Per redis node: the pid and start time of its redis-server."""
    out = {}
    for node in lab.redis_nodes:
        pid = lab.pid(node, "redis-server")
        out[node] = f"{pid} " + lab.exec(node, f"ps -o lstart= -p {pid}").stdout.strip()
    return out


def gap_detail(w: Writer, start: float, end: float) -> str:
    """The writer's longest gap within [start, end]: when, and what the writes in it met."""
    events = w.snapshot()
    oks = sorted((t, a) for t, _, ok, a, _ in events if ok)
    pairs = [(x, y) for x, y in itertools.pairwise(oks) if y[0] >= start and x[0] <= end]
    if not pairs:
        return "no write"
    (a, _), (b, acked) = max(pairs, key=lambda p: p[1][0] - p[0][0])
    errors = sorted({e.split(":")[0] for t, _, ok, _, e in events if a < t < b and e})
    when = time.strftime("%H:%M:%S", time.gmtime(a))
    return f"{b - a:.2f} s from {when}, {len(errors)} kinds of error in it {errors}, the write ending it acked: {acked}"


def plaintext_answers(node: str, port: int) -> bool:
    """True when `node`:`port` answers a plaintext PING (any reply, an auth error included)."""
    try:
        with redis.Redis(host=IPS[node], port=port, socket_timeout=2, socket_connect_timeout=2) as c:
            c.ping()
    except redis.AuthenticationError:
        return True
    except redis.ResponseError as exc:
        return "NOAUTH" in str(exc) or "WRONGPASS" in str(exc)
    except (redis.RedisError, OSError):
        return False
    return True


def port_open(node: str, port: int) -> bool:
    try:
        with socket.create_connection((IPS[node], port), timeout=2):
            return True
    except OSError:
        return False


def timed_run(lab: Lab, writer: Writer, label: str, kind: str) -> float:
    """One topology run under a steady writer: it must pass; returns (and logs) its longest write gap."""
    start = time.time()
    run = lab.playbook()
    assert run.rc == 0, run.output[-6000:]
    gap = writer.longest_gap(start, time.time())
    log(f"{label} {run.seconds:.0f} s, {kind} writer's longest gap {gap:.2f} s")
    log(f"  {gap_detail(writer, start, time.time())}")
    writer.wait_progress(20, acked=True)
    return gap


def test_plaintext_to_tls_in_place_no_restart_no_failover(plain_lab: Lab) -> None:
    lab = plain_lab
    master = lab.wait_invariant()
    replicas = [n for n in lab.redis_nodes if n != master]
    started = start_times(lab)
    full_syncs = sync_counters(lab, master)[0]
    plain = Writer(f"tls-move-plain:{int(time.time())}", "vip", wait_ms=1000)
    plain.start()
    plain.wait_progress(20, acked=True)

    # Certificates for the lab (the clients here stay on plaintext until the move).
    lab.make_certificates()
    tls_kw = dict(chaoslab.TLS_KW)
    chaoslab.TLS_KW.clear()
    lab.extra_vars.update(
        redis_tls=True,
        redis_tls_auth_clients="yes",
        redis_tls_ca_file=str(lab.tls_dir / "ca.crt"),
    )

    # Closing plaintext in the run that opens TLS is refused before anything changes.
    lab.extra_vars.update(redis_port=TLS_PORT)
    refused = lab.playbook()
    assert refused.rc != 0 and "switching it to TLS takes two runs" in refused.output, refused.output[-4000:]
    assert refused.total_changed == 0, refused.changed_tasks()

    # Run 1 in check mode first: it passes and changes nothing (TLS port still closed).
    lab.extra_vars.update(redis_tls_plaintext_port=PLAIN_PORT)
    checked = lab.playbook(check=True)
    assert checked.rc == 0, checked.output[-6000:]
    assert not any(port_open(n, TLS_PORT) for n in lab.redis_nodes), "a check run opened the TLS port"
    assert all(plaintext_answers(n, chaoslab.SENTINEL_PORT) for n in lab.sentinel_nodes), "a check run moved a Sentinel"

    # Run 1: TLS beside plaintext.
    gap1 = timed_run(lab, plain, "run 1 (TLS opened, Sentinels moved)", "plaintext")
    for node in lab.redis_nodes:
        assert plaintext_answers(node, PLAIN_PORT), f"{node}: plaintext closed by run 1"
    for node in lab.sentinel_nodes:
        assert not plaintext_answers(node, chaoslab.SENTINEL_PORT), f"{node}: Sentinel still on plaintext"

    # The lab's own views and a second writer move to TLS: the clients move.
    chaoslab.TLS_KW.update(tls_kw)
    chaoslab.REDIS_PORT = TLS_PORT
    assert lab.wait_invariant() == master, "run 1 moved the master"
    for node in replicas:
        with lab.client(node) as c:
            info = c.info("replication")
        assert info["master_port"] == TLS_PORT and info["master_link_status"] == "up", f"{node}: {info}"
    moved = Writer(f"tls-move-tls:{int(time.time())}", "vip", wait_ms=1000)
    moved.start()
    moved.wait_progress(20, acked=True)
    assert_no_acked_loss(lab, master, plain)

    # Run 2: plaintext closed.
    del lab.extra_vars["redis_tls_plaintext_port"]
    gap2 = timed_run(lab, moved, "run 2 (plaintext closed)", "TLS")
    for node in lab.redis_nodes:
        assert not port_open(node, PLAIN_PORT), f"{node}: plaintext port {PLAIN_PORT} still open after run 2"
        assert not plaintext_answers(node, TLS_PORT), f"{node}: TLS port answers plaintext"

    # No failover, no restart, no full resync, nothing acknowledged lost, healthy over TLS.
    assert lab.wait_invariant() == master, "the move moved the master"
    assert start_times(lab) == started, "a redis-server restarted"
    assert sync_counters(lab, master)[0] == full_syncs, "a replica needed a full resync"
    assert_no_acked_loss(lab, master, moved)
    lab.ha_check()
    assert_rerun_unchanged(lab, master)
    log(f"write gaps: run 1 {gap1:.2f} s (plaintext writer), run 2 {gap2:.2f} s (TLS writer)")
