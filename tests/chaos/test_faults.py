"""Faults of issue 7 against the topology-4 lab; each test restores what it broke.

Behaviour only: no acknowledged write lost, the right master, changed=0, NOREPLICAS on an isolated
master. Timing is bench/'s business; the waits here are bounds, not assertions.
The order matters only for cost: the fast tests first, the 1 master/2 replicas variant (which adds
node4 to the lab) last.
"""

from __future__ import annotations

import os
import re
import threading
import time
import urllib.request
from datetime import UTC, datetime

import pytest
from chaoslab import (
    DOWN_AFTER_MS,
    IPS,
    ISOLATED_WINDOW_BOUND,
    MASTER_NAME,
    MIN_REPLICAS_MAX_LAG,
    PROGRAMS,
    REDIS_CONF,
    REDIS_ERRORS,
    SENTINEL_LOG,
    SENTINEL_PORT,
    TLS,
    Lab,
    SplitBrain,
    Writer,
    log,
    measure_partition,
    wait_for,
)

DOWN_AFTER = DOWN_AFTER_MS / 1000
# Repetitions of each partition inside its test (one converge per mode): 3 in the full suite.
PARTITION_RUNS = int(
    os.environ.get("HAKIT_CHAOS_PARTITION_RUNS", "3" if os.environ.get("HAKIT_CHAOS_ALL") == "1" else "1")
)


def start_writer(lab: Lab, prefix: str, mode: str = "sentinel", acked: bool = True, **kw: object) -> Writer:
    w = Writer(f"{prefix}:{int(time.time())}", mode, lab.sentinel_nodes, **kw)  # type: ignore[arg-type]
    w.start()
    w.wait_progress(20, acked=acked)
    return w


def assert_no_acked_loss(lab: Lab, master: str, *writers: Writer) -> None:
    for w in writers:
        w.stop()
        acked = w.acked_keys()
        lost = lab.missing(acked, master)
        log(f"{w.name}: {len(acked)} acknowledged, {w.count()} ok, lost {len(lost)}")
        assert not lost, f"{len(lost)} of {len(acked)} acknowledged writes lost, e.g. {lost[:5]}"


def others_of(lab: Lab, node: str) -> list[str]:
    return [n for n in lab.sentinel_nodes if n != node]


def assert_rerun_unchanged(lab: Lab, master: str, limit: str | None = None) -> None:
    """Re-run of topology4: changed=0, the master not demoted, Sentinel's own lines untouched.
    It runs with -vvv while the process lists are sampled: test_security.py scans both for secrets."""
    before = lab.learned_lines()
    with lab.ps.during("rerun", lab.nodes):
        res = lab.playbook(limit=limit, verbose=f"re-run after a failover (limit {limit})")
    assert res.rc == 0, res.output[-5000:]
    assert res.total_changed == 0, f"re-run changed {res.changed}: {res.changed_tasks()}"
    assert lab.master() == master, "the re-run moved the master"
    assert lab.role(master) == "master"
    after = lab.learned_lines()
    for node in before:
        if node in after and before[node]:
            assert after[node] == before[node], f"sentinel.conf lines Sentinel learned changed on {node}"


# ---- fast subset ---------------------------------------------------------------------------


@pytest.mark.fast
def test_kill9_redis_on_master_is_restarted_without_failover(healthy: Lab) -> None:
    lab = healthy
    master = lab.wait_invariant()
    w = start_writer(lab, "kill-redis")
    old = lab.kill(master, "redis-server")
    wait_for("redis-server restarted", lambda: lab.pid(master, "redis-server") not in (0, old), 60)
    wait_for("redis-server answering", lambda: lab.answers(master, "redis-server"), 60)
    w.wait_progress(20, acked=True)
    assert lab.wait_invariant() == master, "a fast restart caused a failover"
    lab.wait_replicas_synced(master)
    assert_no_acked_loss(lab, master, w)


@pytest.mark.fast
def test_master_node_loss_failover_rejoin_and_rerun(healthy: Lab) -> None:
    lab = healthy
    old = lab.wait_invariant()
    ws = start_writer(lab, "nodeloss")
    wv = start_writer(lab, "nodeloss-vip", "vip", acked=False, wait_ms=None)
    # test_security.py scans the process lists sampled through the failover and the rejoin.
    with lab.ps.during("failover", lab.nodes):
        lab.stop_node(old)
        t_dead = time.time()
        new = lab.wait_invariant(timeout=120, down=[old])
        assert new != old
        assert lab.vip_holders() == [new]
        ws.wait_progress(20)  # writes go on through Sentinel (1 replica left: none to acknowledge)
        wv.wait_progress(20)  # and through the VIP
        log(f"write gap via Sentinel {ws.first_ok_after(t_dead) - ws.last_ok_before(t_dead):.1f} s, "  # type: ignore[operator]
            f"via VIP {wv.first_ok_after(t_dead) - wv.last_ok_before(t_dead):.1f} s (down-after {DOWN_AFTER_MS} ms)")  # type: ignore[operator]  # fmt: skip
        lab.start_node(old)
        assert lab.wait_invariant(timeout=120) == new, "the returning old master took the master role back"
        lab.wait_replicas_synced(new)
    ws.wait_progress(20, acked=True)
    assert_rerun_unchanged(lab, new)
    assert_no_acked_loss(lab, new, ws)


@pytest.mark.fast
def test_switchover_and_back_loses_no_acknowledged_write(healthy: Lab) -> None:
    """hakit.redis.switchover (issue 14) to the replica and back, writers on Sentinel and on the VIP."""
    lab = healthy
    old = lab.wait_invariant()
    target = next(n for n in lab.redis_nodes if n != old)
    ws = start_writer(lab, "switch")
    wv = start_writer(lab, "switch-vip", "vip")
    for to, extra in ((target, {"target": target}), (old, None)):
        t0 = time.time()
        res = lab.playbook("switchover", extra=extra)
        assert res.rc == 0, res.output[-5000:]
        assert lab.wait_invariant(timeout=60) == to
        assert lab.vip_holders() == [to]
        lab.wait_replicas_synced(to)
        ws.wait_progress(20, acked=True)
        wv.wait_progress(20, acked=True)
        t1 = time.time()
        log(f"switchover to {to} in {res.seconds:.0f} s: longest write gap via Sentinel "
            f"{ws.longest_gap(t0, t1):.2f} s, via VIP {wv.longest_gap(t0, t1):.2f} s")  # fmt: skip
    res = lab.playbook("switchover", extra={"target": old})
    assert res.rc == 0 and res.total_changed == 0, "a switchover to the master itself must change nothing"
    assert_rerun_unchanged(lab, old)
    assert_no_acked_loss(lab, old, ws, wv)


# Sentinel events that mean a switchover went wrong: a Sentinel turned the promoted replica back
# (+convert-to-slave: its last INFO of it, read before the previous switchover demoted it, still said
# master) or a failover gave up (-failover-abort-*, e.g. stuck in wait-promotion until failover-timeout).
BAD_SENTINEL_EVENTS = ("+convert-to-slave", "-failover-abort")


def sentinel_events(lab: Lab, events: tuple[str, ...]) -> int:
    pattern = " -e ".join(f"'{e}'" for e in events)
    cmd = f"grep -c -e {pattern} {SENTINEL_LOG} || true"
    return sum(int(lab.exec(n, cmd).stdout.strip() or 0) for n in lab.sentinel_nodes)


class RoleWatch(threading.Thread):
    """Polls every Sentinel's SENTINEL REPLICAS: per Sentinel node, (time, {replica IP: role-reported})."""

    def __init__(self, lab: Lab) -> None:
        super().__init__(daemon=True, name="sentinel-role-watch")
        self.nodes = list(lab.sentinel_nodes)
        self.samples: dict[str, list[tuple[float, dict[str, str]]]] = {n: [] for n in self.nodes}
        self._stop_evt = threading.Event()

    def run(self) -> None:
        while not self._stop_evt.is_set():
            for node in self.nodes:
                try:
                    with Lab.client(node, SENTINEL_PORT) as s:
                        reply = s.execute_command("SENTINEL", "REPLICAS", MASTER_NAME)
                except REDIS_ERRORS:
                    continue
                entries = [r if isinstance(r, dict) else dict(zip(r[::2], r[1::2], strict=True)) for r in reply]
                self.samples[node].append((time.time(), {e["ip"]: e["role-reported"] for e in entries}))
            self._stop_evt.wait(0.1)

    def stop(self) -> None:
        self._stop_evt.set()
        self.join(timeout=10)

    def stale_for(self, ip: str) -> list[str]:
        """The Sentinel nodes whose latest sample does not show `ip` as a replica."""
        return [n for n in self.nodes if not self.samples[n] or self.samples[n][-1][1].get(ip) != "slave"]

    def view_before(self, node: str, t: float) -> dict[str, str] | None:
        """The last sample of `node` in the second before `t` (None: none that recent)."""
        recent = [view for ts, view in self.samples[node] if t - 1.0 <= ts < t]
        return recent[-1] if recent else None


def failover_requests(lab: Lab, since: float) -> list[float]:
    """When a Sentinel received SENTINEL FAILOVER (its log's timestamps, UTC), after `since`."""
    out = []
    for node in lab.sentinel_nodes:
        lines = lab.exec(node, f"grep 'Executing user requested FAILOVER' {SENTINEL_LOG} || true").stdout.splitlines()
        for line in lines:
            stamp = re.search(r"\d+ \w{3} \d{4} [\d:.]+", line)
            if stamp:
                when = datetime.strptime(stamp.group(0), "%d %b %Y %H:%M:%S.%f").replace(tzinfo=UTC)
                out.append(when.timestamp())
    return sorted(t for t in out if t > since)


def test_back_to_back_switchovers_lose_no_acknowledged_write(healthy: Lab) -> None:
    """Issue 14 (the bench's third switchover): four switchovers with no pause in between, each
    started as soon as the previous run returned, writers on Sentinel and on the VIP. Each must move
    the master (the invariant after each), no Sentinel may undo a promotion or abort a failover, and
    no acknowledged write may be lost.

    The undoing itself needs a Sentinel to read INFO in the second between the promotion and the new
    configuration reaching it, which timing rarely hits; the state that allows it does not depend on
    luck: each SENTINEL FAILOVER must find every Sentinel with its last INFO of the target saying slave
    (a switchover started within 10 s of the previous one otherwise finds "master" there)."""
    lab = healthy
    master = lab.wait_invariant()
    watch = RoleWatch(lab)
    watch.start()
    ws = start_writer(lab, "back2back")
    wv = start_writer(lab, "back2back-vip", "vip")
    bad_before = sentinel_events(lab, BAD_SENTINEL_EVENTS)
    started, targets = time.time(), []
    for _ in range(4):
        to = next(n for n in lab.redis_nodes if n != master)
        t0 = time.time()
        targets.append(to)
        stale = watch.stale_for(IPS[to])
        log(f"switchover to {to} starts while Sentinel(s) {stale} last read role master from it" if stale
            else f"switchover to {to} starts with every Sentinel seeing it as a replica")  # fmt: skip
        res = lab.playbook("switchover", extra={"target": to})
        t1 = time.time()
        assert res.rc == 0, res.output[-5000:]
        master = lab.wait_invariant(timeout=60)
        assert master == to
        held = re.search(r"writes were held for ([0-9.]+) s", res.output)
        gaps = f"via Sentinel {ws.longest_gap(t0, t1):.2f} s, via VIP {wv.longest_gap(t0, t1):.2f} s"
        log(f"switchover to {to} in {res.seconds:.1f} s, writes held {held.group(1) if held else '?'} s, gap {gaps}")
    watch.stop()
    assert sentinel_events(lab, BAD_SENTINEL_EVENTS) == bad_before, "a Sentinel undid a promotion or aborted a failover"
    requests = failover_requests(lab, started)
    assert len(requests) == len(targets), f"{len(requests)} SENTINEL FAILOVER for {len(targets)} switchovers"
    for when, to in zip(requests, targets, strict=True):
        views = {n: watch.view_before(n, when) for n in lab.sentinel_nodes}
        stale = {n: v for n, v in views.items() if v is None or v.get(IPS[to]) != "slave"}
        assert not stale, f"SENTINEL FAILOVER to {to} sent while these Sentinels' last INFO of it said: {stale}"
    lab.wait_replicas_synced(master)
    ws.wait_progress(20, acked=True)
    wv.wait_progress(20, acked=True)
    assert_no_acked_loss(lab, master, ws, wv)


# The upgrade the rolling-upgrade test makes: the lab installs bookworm's redis (deb12u7); the
# security archive on Debian's mirror has a later build of the same Redis.
UPGRADE_SOURCE = "deb http://deb.debian.org/debian-security bookworm-security main"
UPGRADE_SOURCE_FILE = "/etc/apt/sources.list.d/hakit-chaos-upgrade.list"


def package_versions(lab: Lab, node: str) -> dict[str, str]:
    out = lab.exec(node, "dpkg-query -W -f='${Package} ${Version}\\n' redis-server redis-sentinel redis-tools").stdout
    pairs = (line.split(" ", 1) for line in out.splitlines() if " " in line)
    return {name: version for name, version in pairs if version}


def newest_version(lab: Lab, node: str) -> str:
    out = lab.exec(node, "apt-cache madison redis-server | awk '{print $3}' | sort -V | tail -n 1").stdout
    return out.strip()


@pytest.mark.fast
def test_rolling_upgrade_loses_no_acknowledged_write(healthy: Lab) -> None:
    """A rolling upgrade (issue 14): a re-run with a new redis_package_version installs it on every
    host with no daemon restarted; hakit.redis.rolling_restart then restarts every daemon on it, the
    master moved once, never failed over, no acknowledged write lost."""
    lab = healthy
    old = lab.wait_invariant()
    for n in lab.nodes:
        lab.exec(n, f"echo '{UPGRADE_SOURCE}' > {UPGRADE_SOURCE_FILE} && apt-get update -qq", timeout=300)
    target = newest_version(lab, lab.nodes[0])
    assert target, "no redis-server version in the lab's apt lists"
    pins = {"redis_package_version": target}
    upgrading = any(set(package_versions(lab, n).values()) != {target} for n in lab.nodes)
    pids = {(n, p): lab.pid(n, p) for n in lab.nodes for p in ("redis-server", "redis-sentinel", "keepalived")}

    res = lab.playbook(extra=pins)
    assert res.rc == 0, res.output[-5000:]
    for n in lab.nodes:
        assert set(package_versions(lab, n).values()) == {target}, f"{n} is not on {target}"
    assert {k: lab.pid(*k) for k in pids} == pids, "installing a new version restarted a daemon (held restarts)"
    assert lab.wait_invariant() == old
    if upgrading:
        assert "keep their old binary" in res.output, "the run should say which daemons still run the old binary"

    def sdowns() -> int:
        """+sdown events about the master in every Sentinel's log: a master seen down would mean an outage."""
        cmd = f"grep -c '+sdown master' {SENTINEL_LOG} || true"
        return sum(int(lab.exec(n, cmd).stdout.strip() or 0) for n in lab.sentinel_nodes)

    sdowns_before = sdowns()
    ws = start_writer(lab, "rolling")
    wv = start_writer(lab, "rolling-vip", "vip")
    t0 = time.time()
    res = lab.playbook("rolling_restart", extra=pins)
    t1 = time.time()
    assert res.rc == 0, res.output[-5000:]
    new = lab.wait_invariant(timeout=60)
    assert new != old, "the master should have moved off its node before the node restarted"
    assert sdowns() == sdowns_before, "a Sentinel saw the master down during the rolling restart"
    for (node, prog), pid in pids.items():
        if pid:
            assert lab.pid(node, prog) not in (0, pid), f"{prog} on {node} was not restarted"
    lab.wait_replicas_synced(new)
    ws.wait_progress(20, acked=True)
    wv.wait_progress(20, acked=True)
    log(f"rolling upgrade to {target} in {res.seconds:.0f} s: longest write gap via Sentinel "
        f"{ws.longest_gap(t0, t1):.2f} s, via VIP {wv.longest_gap(t0, t1):.2f} s")  # fmt: skip
    assert_rerun_unchanged(lab, new)
    assert_no_acked_loss(lab, new, ws, wv)
    for n in lab.nodes:
        lab.exec(n, f"rm -f {UPGRADE_SOURCE_FILE}")


@pytest.mark.fast
def test_drift_report_names_what_a_run_would_change(healthy: Lab) -> None:
    """`--check -e hakit_drift=true` (issue 14): a hand edit on two hosts is named and fails the run;
    a real run repairs it, and the drift check passes again."""
    lab = healthy
    replica = next(n for n in lab.redis_nodes if n != lab.wait_invariant())
    lab.exec(replica, f"sed -i 's/^loglevel notice/loglevel verbose/' {REDIS_CONF}")
    lab.exec("node3", "sed -i 's/^stopwaitsecs=10$/stopwaitsecs=11/' /etc/supervisor/conf.d/redis-sentinel.conf")
    res = lab.playbook("topology4", extra={"hakit_drift": True}, check=True)
    assert res.rc != 0, "the drift check passed with hand edits on two hosts"
    assert f"{replica}: redis setting loglevel" in res.output and "node3: program redis-sentinel" in res.output
    assert lab.playbook().rc == 0
    res = lab.playbook("topology4", extra={"hakit_drift": True}, check=True)
    assert res.rc == 0, res.output[-3000:]


def assert_no_split_brain(fig: SplitBrain) -> None:
    """Issue 13's invariant for one partition: the isolated master stopped (NOREPLICAS) within its
    bound, before the new master's first accepted write; no acknowledged write lost."""
    assert fig.acked_lost == 0, f"{fig.acked_lost} acknowledged writes lost"
    assert fig.refused, "the isolated master never answered NOREPLICAS"
    # The bound is Redis's own (max-lag + 2 s, plugins/filter/split_brain.py); the writer stamps a
    # write when its reply arrives, hence the 0.25 s of measurement slack.
    assert fig.window <= ISOLATED_WINDOW_BOUND + 0.25, (
        f"the isolated master took writes for {fig.window:.2f} s after the cut (bound {ISOLATED_WINDOW_BOUND} s)"
    )
    assert fig.overlap == 0, f"two masters accepted writes for {fig.overlap:.2f} s: {fig.line()}"


def assert_writes(lab: Lab, node: str, accepted: bool, prefix: str, seconds: float) -> str:
    """Writes straight to `node` for `seconds`; asserts the last second's writes were all accepted
    (or all refused). Returns the last error seen."""
    w = Writer(f"{prefix}:{int(time.time())}", f"node:{node}", wait_ms=None)
    w.start()
    time.sleep(seconds)
    w.stop()
    t_end = max((e[0] for e in w.snapshot()), default=time.time())
    tail = [e for e in w.snapshot() if e[0] > t_end - 1]
    assert tail, f"no write attempt on {node}"
    oks = [e for e in tail if e[2]]
    errors = [e[4] for e in tail if not e[2]]
    if accepted:
        assert len(oks) == len(tail), f"{node} refused writes: {errors[:3]}"
    else:
        assert not oks, f"{node} still accepted {len(oks)} writes in the last second"
    log(f"writes to {node}: {'accepted' if accepted else 'refused: ' + errors[-1]}")
    return errors[-1] if errors else ""


def converge_with(lab: Lab, **extra: object) -> None:
    """Sets (or, with None, removes) inventory variables of the lab and runs topology4."""
    for key, value in extra.items():
        if value is None:
            lab.extra_vars.pop(key, None)
        else:
            lab.extra_vars[key] = value
    res = lab.playbook()
    assert res.rc == 0, res.output[-5000:]
    master = lab.wait_invariant()
    lab.wait_replicas_synced(master)


def runtime_settings(lab: Lab) -> dict[str, tuple[str, str]]:
    out = {}
    for node in lab.redis_nodes:
        with lab.client(node) as c:
            got = c.config_get("min-replicas-*")
        out[node] = (got["min-replicas-to-write"], got["min-replicas-max-lag"])
    return out


def replica_down(lab: Lab, fenced: bool) -> None:
    """The single replica's redis-server stopped: the master keeps (or, fenced, stops) taking writes
    within the isolated-window bound; back to writable once the replica is back."""
    master = lab.wait_invariant()
    replica = next(n for n in lab.redis_nodes if n != master)
    lab.exec(replica, "supervisorctl stop redis-server")
    try:
        time.sleep(ISOLATED_WINDOW_BOUND + 0.5)
        err = assert_writes(lab, master, accepted=not fenced, prefix="replica-down", seconds=2)
        assert not fenced or "NOREPLICAS" in err
    finally:
        lab.exec(replica, "supervisorctl start redis-server")
    lab.wait_replicas_synced(master)
    time.sleep(1.5)  # the master counts the replica again at its next once-a-second refresh
    assert_writes(lab, master, accepted=True, prefix="replica-back", seconds=2)
    assert lab.wait_invariant() == master


# 1 master + 1 replica without fencing (the default): the loss is reproduced and reported.
@pytest.mark.fast
def test_partition_1r_fencing_off_loss_reproduced(healthy: Lab) -> None:
    """The documented trade-off of 1 master/1 replica without fencing: both sides take writes and
    the isolated master's are thrown away when it rejoins. Counted and reported; acknowledged writes
    are still kept (WAIT 1 cannot succeed on the isolated side)."""
    lab = healthy
    assert set(runtime_settings(lab).values()) == {("0", str(MIN_REPLICAS_MAX_LAG))}
    for run in range(PARTITION_RUNS):
        # Held 5 s past the promotion: without fencing the overlap lasts as long as the partition.
        fig = measure_partition(lab, hold=5, prefix=f"off{run}")
        assert fig.acked_lost == 0
        assert not fig.refused
        assert fig.taken > 0 and fig.lost > 0, "expected the isolated master's writes to be lost"
        assert fig.overlap > 0, "expected both masters to take writes without fencing"


# 1 master + 1 replica with redis_fencing: replica: the invariant, and the replica's loss is an outage.
@pytest.mark.fast
def test_partition_1r_fencing_replica(healthy: Lab) -> None:
    lab = healthy
    converge_with(lab, redis_fencing="replica")
    try:
        assert set(runtime_settings(lab).values()) == {("1", str(MIN_REPLICAS_MAX_LAG))}
        for run in range(PARTITION_RUNS):
            fig = measure_partition(lab, prefix=f"replica{run}")
            assert_no_split_brain(fig)
            # The promoted replica has no replica of its own until the old master rejoins.
            assert fig.first_new is None, "the new master took writes without a replica"
        replica_down(lab, fenced=True)
    finally:
        lab.heal()
        converge_with(lab, redis_fencing=None)
    assert set(runtime_settings(lab).values()) == {("0", str(MIN_REPLICAS_MAX_LAG))}


FENCE_PROGRAM = "hakit-redis-fence"
# The watchdog's own bound (roles/redis/tasks/fence.yml): grace 1 s + one 0.5 s check + the
# Sentinel queries' 0.3 s timeout, plus 0.25 s of measurement slack as above.
FENCE_BOUND = 1.0 + 0.5 + 0.3 + 0.25


def fence_running(lab: Lab) -> dict[str, str]:
    return {n: lab.exec(n, f"supervisorctl status {FENCE_PROGRAM}").stdout.strip() for n in lab.redis_nodes}


# 1 master + 1 replica with redis_fencing: sentinels: the invariant with the majority side writable;
# the replica's loss costs nothing, two Sentinels down cost the writes.
def test_partition_1r_fencing_sentinels(healthy: Lab) -> None:
    lab = healthy
    converge_with(lab, redis_fencing="sentinels")
    try:
        assert all(" RUNNING " in s for s in fence_running(lab).values()), fence_running(lab)
        assert set(runtime_settings(lab).values()) == {("0", str(MIN_REPLICAS_MAX_LAG))}
        for run in range(PARTITION_RUNS):
            fig = measure_partition(lab, prefix=f"sentinels{run}")
            assert_no_split_brain(fig)
            assert fig.window <= FENCE_BOUND, f"the watchdog fenced only after {fig.window:.2f} s"
            assert fig.first_new is not None, "the majority side never took writes"
        # The fenced old master rejoined (Sentinel's CONFIG REWRITE saw the fence): a re-run is clean.
        assert_rerun_unchanged(lab, lab.wait_invariant())
        assert set(runtime_settings(lab).values()) == {("0", str(MIN_REPLICAS_MAX_LAG))}
        replica_down(lab, fenced=False)
        # Two Sentinels down: no majority names the master, so it is fenced; back when they are.
        master = lab.wait_invariant()
        stopped = [n for n in lab.sentinel_nodes if n != master]
        for n in stopped:
            lab.exec(n, "supervisorctl stop redis-sentinel")
        try:
            time.sleep(FENCE_BOUND + 0.5)
            assert "NOREPLICAS" in assert_writes(lab, master, accepted=False, prefix="2s-down", seconds=2)
        finally:
            for n in stopped:
                lab.exec(n, "supervisorctl start redis-sentinel")
        wait_for("writes accepted again", lambda: lab.client(master).set("fence:back", 1), 30)
        assert lab.wait_invariant() == master
        # The watchdog killed: supervisor restarts it, the healthy master is never fenced.
        old = lab.kill(master, FENCE_PROGRAM)
        wait_for("the watchdog restarted", lambda: lab.pid(master, FENCE_PROGRAM) not in (0, old), 30)
        assert_writes(lab, master, accepted=True, prefix="fence-restarted", seconds=3)
    finally:
        lab.heal()
        lab.repair()
        converge_with(lab, redis_fencing=None)
    assert set(runtime_settings(lab).values()) == {("0", str(MIN_REPLICAS_MAX_LAG))}
    assert all(FENCE_PROGRAM not in s or "no such process" in s for s in fence_running(lab).values())


# ---- full suite (HAKIT_CHAOS_ALL=1) --------------------------------------------------------


@pytest.mark.parametrize("program", ["redis-sentinel", "keepalived"])
def test_kill9_on_master_is_restarted(healthy: Lab, program: str) -> None:
    lab = healthy
    master = lab.wait_invariant()
    myid = lab.client(master, 26379).execute_command("SENTINEL", "MYID")
    w = start_writer(lab, f"kill-{program}")
    old = lab.kill(master, program)
    wait_for(f"{program} restarted", lambda: lab.pid(master, program) not in (0, old), 60)
    wait_for(f"{program} answering", lambda: lab.answers(master, program), 60)
    w.wait_progress(20, acked=True)
    assert lab.wait_invariant() == master
    assert lab.client(master, 26379).execute_command("SENTINEL", "MYID") == myid
    assert_no_acked_loss(lab, master, w)


def test_sentinel_only_node_stopped_no_failover(healthy: Lab) -> None:
    lab = healthy
    master = lab.wait_invariant()
    only = next(n for n in lab.sentinel_nodes if n not in lab.redis_nodes)
    w = start_writer(lab, "sentinel-only-down")
    lab.stop_node(only)
    try:
        time.sleep(2 * DOWN_AFTER + 2)
        w.wait_progress(50, acked=True)
        assert lab.wait_invariant(down=[only]) == master, "losing the Sentinel-only node caused a failover"
    finally:
        lab.start_node(only)
    assert lab.wait_invariant() == master
    assert_no_acked_loss(lab, master, w)


def test_sigstop_master_past_down_after(healthy: Lab) -> None:
    lab = healthy
    old = lab.wait_invariant()
    w = start_writer(lab, "sigstop")
    lab.kill(old, "redis-server", "STOP")
    try:
        new = wait_for("a failover away from the hung master",
                       lambda: (lab.master() or old) != old and lab.master(), 120 + 4 * DOWN_AFTER)  # fmt: skip
        wait_for(f"VIP on {new} only", lambda: lab.vip_holders() == [new], 60)
    finally:
        lab.exec(old, f"kill -CONT {lab.pid(old, 'redis-server')}")
    # On waking the old master must be demoted and must never hold the VIP meanwhile.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert old not in lab.vip_holders(), "the woken old master holds the VIP"
        if lab.replica_link_up(old, str(new)):
            break
        time.sleep(0.5)
    assert lab.wait_invariant() == new
    lab.wait_replicas_synced(str(new))
    w.wait_progress(20, acked=True)
    assert_no_acked_loss(lab, str(new), w)


def test_sentinel_restart_keeps_myid_and_failover_works(healthy: Lab) -> None:
    lab = healthy
    master = lab.wait_invariant()
    target = master
    myid = lab.client(target, 26379).execute_command("SENTINEL", "MYID")
    assert lab.exec(target, "supervisorctl restart redis-sentinel").returncode == 0
    wait_for("the Sentinel answering", lambda: lab.answers(target, "redis-sentinel"), 60)
    assert lab.client(target, 26379).execute_command("SENTINEL", "MYID") == myid

    def peers_ok() -> bool:
        for node in lab.sentinel_nodes:
            peers = lab.client(node, 26379).sentinel_sentinels("mymaster")
            ids = [p["runid"] for p in peers]
            if len(peers) != len(lab.sentinel_nodes) - 1 or len(set(ids)) != len(ids):
                return False
        return True

    wait_for("every Sentinel to know exactly the other Sentinels, once each", peers_ok, 60)
    w = start_writer(lab, "sentinel-restart")
    lab.client(target, 26379).execute_command("SENTINEL", "FAILOVER", "mymaster")
    new = wait_for("the failover", lambda: (lab.master() or master) != master and lab.master(), 120)
    assert lab.wait_invariant() == new
    lab.wait_replicas_synced(str(new))
    w.wait_progress(20, acked=True)
    assert_no_acked_loss(lab, str(new), w)


def test_two_sentinels_down_then_master_no_failover(healthy: Lab) -> None:
    lab = healthy
    master = lab.wait_invariant()
    stopped = [n for n in lab.sentinel_nodes if n != master]  # only the master's own Sentinel stays
    try:
        for n in stopped:
            lab.exec(n, "supervisorctl stop redis-sentinel")
        # Without fencing (the lab's default) the master keeps taking writes meanwhile.
        time.sleep(2)
        assert_writes(lab, master, accepted=True, prefix="2s-down", seconds=2)
        lab.exec(master, "supervisorctl stop redis-server")
        time.sleep(3 * DOWN_AFTER + 3)
        for n in lab.redis_nodes:
            if n != master:
                assert lab.role(n) == "slave", f"{n} was promoted without a Sentinel majority"
        assert lab.sentinel_view(master) == master
    finally:
        lab.exec(master, "supervisorctl start redis-server")
        for n in stopped:
            lab.exec(n, "supervisorctl start redis-sentinel")
    assert lab.wait_invariant() == master


def first_event(w: Writer, after: float, ok: bool) -> float | None:
    """Seconds from `after` to the writer's first accepted (ok) or refused (not ok) write after it."""
    ts = [e[0] for e in w.snapshot() if e[0] > after and e[2] == ok]
    return min(ts) - after if ts else None


def two_sentinels_down(lab: Lab, fenced: bool, prefix: str, hold: float) -> dict[str, object]:
    """The two Sentinels other than the master's own stopped for `hold` s, with a writer straight to
    the master (no WAIT: what the master itself accepts). Asserted (docs/fencing.md, two Sentinels
    down): unfenced, every write accepted throughout; fenced, NOREPLICAS and, once refused, nothing
    accepted until the Sentinels are back; no promotion either way; writable again once they are
    back; every write the master accepted is still there. Returns the figures for the log."""
    master = lab.wait_invariant()
    stopped = others_of(lab, master)
    wd = Writer(f"{prefix}-direct:{int(time.time())}", f"node:{master}", wait_ms=None)
    wd.start()
    wd.wait_progress(20)
    for n in stopped:
        lab.exec(n, "supervisorctl stop redis-sentinel")
    t_down = time.time()  # both stopped: from here no majority can name anyone
    try:
        time.sleep(hold)
        err = assert_writes(lab, master, accepted=not fenced, prefix=f"{prefix}-tail", seconds=2)
        assert not fenced or "NOREPLICAS" in err, err
        # One Sentinel left of three: no majority, so no promotion, and it still names the master.
        assert all(lab.role(n) == "slave" for n in lab.redis_nodes if n != master), "a replica was promoted"
        assert lab.sentinel_view(master) == master
    finally:
        # Taken before the starts: the first Sentinel back already makes a majority with the
        # master's own, so the master may take writes again before the second start returns.
        t_up = time.time()
        for n in stopped:
            lab.exec(n, "supervisorctl start redis-sentinel")
    wait_for("writes accepted on the master again", lambda: wd.first_ok_after(t_up), 30, 0.2)
    wd.wait_progress(20)
    wd.stop()
    down = [e for e in wd.snapshot() if t_down < e[0] < t_up]
    fig = {"down_s": round(t_up - t_down, 1), "accepted": sum(1 for e in down if e[2]),
           "refused": sum(1 for e in down if not e[2]), "fenced_after": first_event(wd, t_down, ok=False),
           "writable_after": first_event(wd, t_up, ok=True),
           "errors": sorted({e[4].split(":", 1)[-1].strip()[:40] for e in down if not e[2]})}  # fmt: skip
    fig = {k: round(v, 2) if isinstance(v, float) else v for k, v in fig.items()}
    log(f"{prefix}: two Sentinels down: {fig}")
    if fenced:
        t_fence = min(e[0] for e in down if not e[2])
        assert not [e for e in down if e[2] and e[0] > t_fence], "the fenced master accepted writes again"
    else:
        assert fig["accepted"] and not fig["refused"], f"the unfenced master refused writes: {fig['errors']}"
    assert not lab.missing(wd.ok_keys(), master), "a write the master accepted is gone (no failover took place)"
    assert lab.wait_invariant() == master
    return fig


@pytest.mark.parametrize("mode", ["replica", "sentinels"])
def test_two_sentinels_down_fencing_availability(healthy: Lab, mode: str) -> None:
    """docs/fencing.md's availability with two of three Sentinels down (the replica up, the master
    reachable): `replica` changes nothing, the master keeps writing; `sentinels` fences the master
    (NOREPLICAS) until they are back, then it takes writes again. Neither fails over, and no
    acknowledged write is lost. Held past down-after: a failover would have started by then."""
    lab = healthy
    converge_with(lab, redis_fencing=mode)
    try:
        master = lab.wait_invariant()
        ws = start_writer(lab, f"2s-{mode}")
        fig = two_sentinels_down(lab, fenced=mode == "sentinels", prefix=f"2s-{mode}", hold=DOWN_AFTER + 2)
        ws.wait_progress(20, acked=True)
        assert_no_acked_loss(lab, master, ws)
        log(f"two Sentinels down, redis_fencing {mode}: {fig}, {ws.count(acked=True)} acknowledged via Sentinel")
    finally:
        lab.repair()
        converge_with(lab, redis_fencing=None)
    assert lab.wait_invariant() == master


def test_rerun_with_failed_master_down_then_rejoined(healthy: Lab) -> None:
    lab = healthy
    old = lab.wait_invariant()
    w = start_writer(lab, "rerun-limited")
    lab.stop_node(old)
    try:
        new = lab.wait_invariant(timeout=120, down=[old])
        assert_rerun_unchanged(lab, new, limit=f"!{old}")
    finally:
        lab.start_node(old)
    assert lab.wait_invariant() == new
    lab.wait_replicas_synced(new)
    assert_rerun_unchanged(lab, new)
    assert_no_acked_loss(lab, new, w)


def test_cold_restart_of_every_node(healthy: Lab) -> None:
    lab = healthy
    w = start_writer(lab, "cold")
    w.wait_progress(100, acked=True)
    w.stop()
    last = lab.wait_invariant()
    lab.stop_all()
    lab.start_all()  # a reboot: the supervisor service comes up with the hosts
    res = lab.playbook()
    assert res.rc == 0, res.output[-5000:]
    assert lab.wait_invariant(timeout=180) == last, "after a cold restart the master is not the last one"
    lab.wait_replicas_synced(last)
    for n in lab.redis_nodes:
        assert not lab.missing(w.acked_keys(), n), f"{n} lost acknowledged writes (resynced from an empty master?)"


def test_partition_2r_defaults_no_two_masters(healthy: Lab) -> None:
    """1 master / 2 replicas (node4 added, Redis only) with the defaults: min-replicas-to-write 1,
    max-lag derived from down-after. Issue 13's invariant in every run; one replica's loss costs no
    writes. node4 stays in the lab for the next test, which removes it again."""
    lab = healthy
    if "node4" not in lab.redis_nodes:
        lab.add_replica("node4")
        converge_with(lab)
    assert set(runtime_settings(lab).values()) == {("1", str(MIN_REPLICAS_MAX_LAG))}
    for run in range(PARTITION_RUNS):
        fig = measure_partition(lab, prefix=f"2r{run}")
        assert_no_split_brain(fig)
    master = lab.wait_invariant()
    replica = next(n for n in lab.redis_nodes if n != master)
    lab.exec(replica, "supervisorctl stop redis-server")
    try:
        time.sleep(ISOLATED_WINDOW_BOUND + 0.5)
        assert_writes(lab, master, accepted=True, prefix="2r-replica-down", seconds=2)
    finally:
        lab.exec(replica, "supervisorctl start redis-server")
    lab.wait_replicas_synced(master)


# The optional daemons remove_node stops besides redis-server and keepalived (issue 14): the fence
# watchdog (redis_fencing: sentinels), the exporter and the VIP metric's writer (exporter_enabled).
HELPER_PROGRAMS = (FENCE_PROGRAM, "prometheus-redis-exporter", "hakit-vip-metric")
# How each of them (and the core daemons) shows in `ps -eo args`, whoever runs it.
REMOVED_PROCESSES = ("redis-server", "valkey-server", "keepalived", "hakit-redis-fence",
                     "/usr/bin/prometheus-redis-exporter", "hakit-vip-metric")  # fmt: skip


def supervised(lab: Lab, node: str) -> dict[str, str]:
    """Program -> state, from `supervisorctl status` on node ({} when supervisord knows none)."""
    out = lab.exec(node, "supervisorctl status || true").stdout
    return {parts[0]: parts[1] for parts in (line.split() for line in out.splitlines()) if len(parts) >= 2}


def processes(lab: Lab, node: str, names: tuple[str, ...]) -> list[str]:
    """The command lines on node that name one of names (ps, not supervisor: a daemon that escaped
    its manager counts too)."""
    out = lab.exec(node, "ps -ww -eo args").stdout
    return [line for line in out.splitlines() if any(name in line for name in names)]


EXPORTER_PROGRAM = "prometheus-redis-exporter"
VIP_METRIC_FILE = "/var/lib/prometheus/node-exporter/hakit_redis_vip.prom"


def exporter_scrape(node: str, path: str = "metrics") -> str:
    """What node's exporter serves on IP:9121/path, read over the lab network as Prometheus would
    ("" while it does not answer: a restart)."""
    try:
        with urllib.request.urlopen(f"http://{IPS[node]}:9121/{path}", timeout=10) as resp:
            return resp.read().decode()
    except OSError:
        return ""


def assert_exporter_up(lab: Lab, node: str) -> None:
    """node's exporter reports its redis-server up (redis_up 1, over rediss:// in a TLS lab, with
    the CA and the client certificate) and the VIP metric's writer its 0 or 1."""
    args = " ".join(processes(lab, node, ("/usr/bin/prometheus-redis-exporter",)))
    scheme = "rediss" if TLS else "redis"
    assert f"-redis.addr={scheme}://" in args, f"{node}'s exporter does not scrape {scheme}://: {args}"
    if TLS:
        assert "-tls-ca-cert-file=" in args and "-tls-client-cert-file=" in args, args
    wait_for(f"{node}'s exporter reports redis_up 1", lambda: re.search(r"(?m)^redis_up 1$", exporter_scrape(node)), 60)
    assert re.search(r'(?m)^redis_instance_info\{.*role="(master|slave)"', exporter_scrape(node))
    vip = lab.exec(node, f"cat {VIP_METRIC_FILE}").stdout
    assert re.search(r"(?m)^hakit_redis_vip_held\{[^}]*\} [01]$", vip), f"{node}'s VIP metric: {vip!r}"


def test_remove_the_added_replica_then_rerun(healthy: Lab) -> None:
    """hakit.redis.remove_node (issue 14) takes node4 out again: the Sentinels forget it, the
    topology run without it changes the VIP peers and min-replicas-to-write back, writes go on.
    node4 runs the fence watchdog, the exporter and the VIP metric's writer as well (its own host
    variables, so the other nodes keep the defaults): its exporter reports redis_up 1 (through
    rediss:// with the CA and a client certificate in a TLS lab, where a certificate rotation then
    restarts it on the new files), a --check run leaves them all running, the removal stops and
    unregisters every one, and a second removal changes nothing."""
    lab = healthy
    if "node4" not in lab.redis_nodes:
        lab.add_replica("node4")
    lab.host_vars["node4"] = {"redis_fencing": "sentinels", "exporter_enabled": True}
    try:
        converge_with(lab)
        running = supervised(lab, "node4")
        assert all(running.get(p) == "RUNNING" for p in HELPER_PROGRAMS), f"node4 before the removal: {running}"
        assert_exporter_up(lab, "node4")
        if TLS:
            # A rotation (new certificates of the same CA, one re-run): the exporter restarts on its new
            # files and scrapes again through TLS.
            old = lab.pid("node4", EXPORTER_PROGRAM)
            lab.make_certificates(keep_ca=True)
            converge_with(lab)
            assert lab.pid("node4", EXPORTER_PROGRAM) not in (0, old), "the exporter kept its old certificate"
            assert_exporter_up(lab, "node4")
            running = supervised(lab, "node4")
        master = lab.wait_invariant()
        if master == "node4":
            assert lab.playbook("switchover", extra={"target": "node1"}).rc == 0
            master = lab.wait_invariant()
        ws = start_writer(lab, "remove")
        res = lab.playbook("remove_node", extra={"node": "node4"}, check=True)
        assert res.rc == 0, res.output[-5000:]
        assert supervised(lab, "node4") == running, "a --check removal changed node4's programs"
        res = lab.playbook("remove_node", extra={"node": "node4"})
        assert res.rc == 0, res.output[-5000:]
        assert lab.role(master) == "master" and lab.master() == master
        left = lab.exec("node4", "supervisorctl status || true").stdout
        assert "redis-server" not in left, f"node4 still runs its programs: {left}"
        assert not set(supervised(lab, "node4")) & {*PROGRAMS, *HELPER_PROGRAMS}, f"node4 still runs: {left}"
        assert not processes(lab, "node4", REMOVED_PROCESSES), processes(lab, "node4", REMOVED_PROCESSES)
        res = lab.playbook("remove_node", extra={"node": "node4"})
        assert res.rc == 0 and res.total_changed == 0, f"a second removal changed {res.changed}: {res.changed_tasks()}"
        lab.redis_nodes.remove("node4")
    finally:
        lab.host_vars.pop("node4", None)
    res = lab.playbook()
    assert res.rc == 0, res.output[-5000:]
    for node in lab.sentinel_nodes:
        with lab.client(node, 26379) as s:
            state = s.execute_command("SENTINEL", "MASTER", "mymaster")
            fields = state if isinstance(state, dict) else dict(zip(state[::2], state[1::2], strict=True))
            assert int(fields["num-slaves"]) == 1, f"{node}'s Sentinel still knows {fields['num-slaves']} replicas"
    with lab.client(master) as c:
        assert c.config_get("min-replicas-to-write")["min-replicas-to-write"] == "0"
    assert_no_acked_loss(lab, master, ws)


def sentinel_master_state(lab: Lab, node: str) -> dict[str, str]:
    with lab.client(node, 26379) as s:
        state = s.execute_command("SENTINEL", "MASTER", "mymaster")
    return state if isinstance(state, dict) else dict(zip(state[::2], state[1::2], strict=True))


def test_grow_to_five_sentinels_and_back_to_three(healthy: Lab) -> None:
    """Issue 14, grow and shrink the Sentinels: two Sentinel-only hosts join (5 Sentinels), removing
    one of them is refused (4 is even), removing both at once is not; the three left forget them."""
    lab = healthy
    master = lab.wait_invariant()
    ws = start_writer(lab, "sentinels")
    for node in ("node4", "node5"):
        lab.add_sentinel(node)
    res = lab.playbook("site")  # topology4 checks for exactly 3 Sentinels; site takes any odd number
    assert res.rc == 0, res.output[-5000:]
    for node in lab.sentinel_nodes:
        wait_for(f"{node}'s Sentinel to know the 4 others",
                 lambda n=node: sentinel_master_state(lab, n).get("num-other-sentinels") == "4", 60)  # fmt: skip
    assert lab.wait_invariant() == master

    pid = lab.pid("node5", "redis-sentinel")
    res = lab.playbook("remove_node", extra={"node": "node5"})
    assert res.rc != 0 and "an even number cannot outvote a partition" in res.output, res.output[-3000:]
    assert "node=HOST1,HOST2" in res.output, "the refusal should say how to remove two at once"
    assert lab.pid("node5", "redis-sentinel") == pid, "a refused removal changed node5"

    res = lab.playbook("remove_node", extra={"node": "node4,node5"})
    assert res.rc == 0, res.output[-5000:]
    for node in ("node4", "node5"):
        lab.sentinel_nodes.remove(node)
        assert "redis-sentinel" not in lab.exec(node, "supervisorctl status || true").stdout
        lab.remove_container(node)
    res = lab.playbook()
    assert res.rc == 0, res.output[-5000:]
    for node in lab.sentinel_nodes:
        state = sentinel_master_state(lab, node)
        assert state["num-other-sentinels"] == "2", (
            f"{node}'s Sentinel still counts {state['num-other-sentinels']} others"
        )
    assert_rerun_unchanged(lab, master)
    assert_no_acked_loss(lab, master, ws)


def test_replace_a_deleted_replica_under_its_name(healthy: Lab) -> None:
    """Issue 14, replace a dead node: the replica's container is deleted and a new, empty one takes its
    name and address. The topology run makes it a replica again (full sync); the Sentinels and the
    VIP peers know it as before; a second run changes nothing; no acknowledged write lost."""
    lab = healthy
    master = lab.wait_invariant()
    replica = next(n for n in lab.redis_nodes if n != master)
    ws = start_writer(lab, "replace")
    lab.fresh_container(replica)
    res = lab.playbook()
    assert res.rc == 0, res.output[-5000:]
    assert lab.wait_invariant() == master, "replacing a replica moved the master"
    lab.wait_replicas_synced(master)
    for node in lab.sentinel_nodes:
        state = sentinel_master_state(lab, node)
        assert state["num-slaves"] == str(len(lab.redis_nodes) - 1), (
            f"{node}'s Sentinel: {state['num-slaves']} replicas"
        )
        assert state["num-other-sentinels"] == str(len(lab.sentinel_nodes) - 1), (
            f"{node}'s Sentinel counts {state['num-other-sentinels']} other Sentinels (the replaced one twice?)"
        )
    assert_rerun_unchanged(lab, master)
    assert_no_acked_loss(lab, master, ws)
