"""Issue 12 item 4: every password changes under a steady writer, with no restart, no failover and
no replication link dropped; then a failover works on the new passwords.

The application writes as its own user (redis_users) through the VIP, with the password it had
before: the rotation run gives that user two passwords, as docs/security.md tells applications to
do. redis_password and sentinel_password change in the same run, the old ones given as
*_password_previous. At the end the test changes everything back the same way (a second rotation),
so the rest of the suite finds the lab as it was.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import chaoslab
import pytest
import redis
from chaoslab import APP_PASSWORD, APP_RULES, APP_USER, REDIS_ERRORS, Lab, Writer, internal_password, log
from redis.backoff import NoBackoff
from redis.retry import Retry
from test_faults import (
    FENCE_BOUND,
    FENCE_PROGRAM,
    assert_no_acked_loss,
    assert_rerun_unchanged,
    converge_with,
    replica_down,
    two_sentinels_down,
)

NEW_PASSWORD = 'r0tated "p@ss" \\ #$ \u00e9'
NEW_SENTINEL_PASSWORD = "r0tated sentinel 'pw' #$"
NEW_APP_PASSWORD = 'r0tated app "pw" #$ \u00fc'


class AppWriter(Writer):
    """Writer logging in as the application user, with the password it started with."""

    def __init__(self, prefix: str, password: str) -> None:
        super().__init__(prefix, "vip", wait_ms=1000)
        self.password = password

    def _client(self) -> redis.Redis:
        # No client-side retries, as Writer's own client: with redis-py's default (3 retries with
        # backoff), a WAIT that outlasts socket_timeout once no replica is left costs ~15 s a write.
        return redis.Redis(
            host=chaoslab.VIP, username=APP_USER, password=self.password, socket_timeout=1.0,
            socket_connect_timeout=1.0, protocol=2, retry=Retry(NoBackoff(), 0),
        )  # fmt: skip


def sync_counters(lab: Lab, master: str) -> tuple[int, int]:
    """Full and partial resyncs the master served: a dropped replication link adds one."""
    with lab.client(master) as c:
        stats = c.info("stats")
    return int(stats["sync_full"]), int(stats["sync_partial_ok"])


def logs_in(node: str, port: int, password: str, username: str | None = None) -> bool:
    try:
        with redis.Redis(
            host=chaoslab.IPS[node], port=port, username=username, password=password, socket_timeout=2, protocol=2
        ) as c:
            return bool(c.ping())
    except REDIS_ERRORS:
        return False


def rotate(
    lab: Lab, monkeypatch: pytest.MonkeyPatch, to: tuple[str, str], app_passwords: list[str],
    keep: dict[str, object] | None = None,
) -> float:  # fmt: skip
    """One playbook run moving redis_password/sentinel_password to `to` (the current ones given as
    previous); returns its seconds. The lab's own clients follow (chaoslab's module constants).
    `keep`: other inventory variables the run keeps (redis_fencing), since it replaces extra_vars."""
    old = (chaoslab.PASSWORD, chaoslab.SENTINEL_PASSWORD)
    monkeypatch.setattr(chaoslab, "PASSWORD", to[0])
    monkeypatch.setattr(chaoslab, "SENTINEL_PASSWORD", to[1])
    # In the inventory file, like the passwords themselves: never on a command line.
    lab.extra_vars = {
        "redis_password_previous": old[0],
        "sentinel_password_previous": old[1],
        "redis_users": [{"name": APP_USER, "passwords": app_passwords, "rules": APP_RULES}],
        **(keep or {}),
    }
    # With -vvv under the process-list sampler: test_security.py scans both for every password any
    # inventory gave the lab, the rotated ones included.
    with lab.ps.during("rotation", lab.nodes):
        res = lab.playbook(verbose="password rotation")
    assert res.rc == 0, res.output[-6000:]
    return res.seconds


@pytest.fixture
def rotated(healthy: Lab, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """The lab with every password changed; changed back (a second rotation) afterwards."""
    original = (chaoslab.PASSWORD, chaoslab.SENTINEL_PASSWORD)
    try:
        yield healthy
    finally:
        if original[0] != chaoslab.PASSWORD:
            healthy.repair()
            healthy.wait_invariant(timeout=180)
            rotate(healthy, monkeypatch, original, [APP_PASSWORD])
        healthy.extra_vars = {}
        monkeypatch.undo()


@pytest.mark.fast
def test_every_password_rotates_under_load_then_a_failover_works(rotated: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    lab = rotated
    master = lab.wait_invariant()
    replica = next(n for n in lab.redis_nodes if n != master)
    lab.wait_replicas_synced(master)
    syncs = sync_counters(lab, master)
    writer = AppWriter(f"rotation:{int(time.time())}", APP_PASSWORD)
    writer.start()
    writer.wait_progress(20, acked=True)
    old_password, old_sentinel = chaoslab.PASSWORD, chaoslab.SENTINEL_PASSWORD

    seconds = rotate(lab, monkeypatch, (NEW_PASSWORD, NEW_SENTINEL_PASSWORD), [APP_PASSWORD, NEW_APP_PASSWORD])
    log(f"rotation run {seconds:.0f} s")
    writer.wait_progress(20, acked=True)

    # Nothing restarted, nothing failed over, the replication link stayed up.
    assert lab.wait_invariant() == master, "the rotation moved the master"
    assert sync_counters(lab, master) == syncs, "the replication link dropped (a resync) during the rotation"
    assert lab.replica_link_up(replica, master)
    # Old passwords are gone, new ones work, for the admin, the Sentinels and the internal users.
    assert not logs_in(master, 6379, old_password), "the old redis_password still logs in"
    assert logs_in(master, 6379, NEW_PASSWORD)
    assert not logs_in("node3", 26379, old_sentinel), "the old sentinel_password still logs in"
    assert logs_in("node3", 26379, NEW_SENTINEL_PASSWORD)
    assert logs_in(master, 6379, internal_password("hakit-check"), "hakit-check")
    assert logs_in("node3", 26379, internal_password("hakit-check", "sentinel"), "hakit-check")
    # The application user has both during its rollout.
    assert logs_in(master, 6379, APP_PASSWORD, APP_USER) and logs_in(master, 6379, NEW_APP_PASSWORD, APP_USER)
    lab.ha_check()
    assert_rerun_unchanged(lab, master)

    # A failover on the new passwords: the Sentinels log in to Redis and to each other with them.
    lab.stop_node(master)
    new = lab.wait_invariant(timeout=120, down=[master])
    assert new != master
    writer.wait_progress(20, acked=False)
    lab.start_node(master)
    assert lab.wait_invariant(timeout=120) == new
    lab.wait_replicas_synced(new)
    writer.wait_progress(20, acked=True)
    assert_no_acked_loss(lab, new, writer)


FENCE_LOG = f"/var/log/supervisor/{FENCE_PROGRAM}.log"


def fence_log_lines(lab: Lab) -> dict[str, int]:
    """Lines of each redis node's watchdog log: what it logs after a mark is what it did since."""
    return {n: int(lab.exec(n, f"cat {FENCE_LOG} 2>/dev/null | wc -l").stdout.strip() or 0) for n in lab.redis_nodes}


def fence_log_since(lab: Lab, mark: dict[str, int]) -> dict[str, list[str]]:
    return {n: lab.exec(n, f"tail -n +{mark[n] + 1} {FENCE_LOG} 2>/dev/null").stdout.splitlines() for n in mark}


def assert_fence_works(lab: Lab, mode: str) -> None:
    """The fence after the rotation, on the new passwords: `sentinels` fences with two Sentinels down
    and unfences once they are back (its Sentinel queries log in with the new password: the old one
    is gone from their ACLs); `replica` refuses writes with the replica down."""
    if mode == "sentinels":
        two_sentinels_down(lab, fenced=True, prefix="rotated-2s", hold=FENCE_BOUND + 0.5)
    else:
        replica_down(lab, fenced=True)


@pytest.mark.parametrize("mode", ["sentinels", "replica"])
def test_rotation_with_fencing_fences_nothing_then_the_fence_works(
    rotated: Lab, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Issue 13 with issue 12's rotation: under `redis_fencing` the password rotation (the same run as
    the test above) refuses no write, so no fence is triggered, and with `sentinels` the watchdog,
    not restarted, keeps logging in to Redis and the Sentinels throughout (it re-reads its settings,
    new password first). Afterwards the fence still works, a re-run is changed=0, no acknowledged
    write is lost. The passwords and redis_fencing are put back at the end."""
    lab = rotated
    converge_with(lab, redis_fencing=mode)
    original = (chaoslab.PASSWORD, chaoslab.SENTINEL_PASSWORD)
    try:
        master = lab.wait_invariant()
        syncs = sync_counters(lab, master)
        pids = {n: lab.pid(n, FENCE_PROGRAM) for n in lab.redis_nodes}
        assert mode != "sentinels" or all(pids.values()), f"the watchdog is not running: {pids}"
        mark = fence_log_lines(lab)
        writer = AppWriter(f"rotation-{mode}:{int(time.time())}", APP_PASSWORD)
        writer.start()
        writer.wait_progress(20, acked=True)
        t0 = time.time()
        seconds = rotate(lab, monkeypatch, (NEW_PASSWORD, NEW_SENTINEL_PASSWORD), [APP_PASSWORD, NEW_APP_PASSWORD],
                         keep={"redis_fencing": mode})  # fmt: skip
        writer.wait_progress(20, acked=True)
        t1 = time.time()
        during = [e for e in writer.snapshot() if t0 <= e[0] <= t1]
        refused = [e[4] for e in during if not e[2]]
        log(f"rotation under redis_fencing {mode} in {seconds:.0f} s: {sum(1 for e in during if e[2])} writes "
            f"accepted, {len(refused)} refused, longest gap {writer.longest_gap(t0, t1):.2f} s")  # fmt: skip
        assert not refused, f"writes refused during the rotation: {refused[:3]}"
        # The watchdog neither fenced nor had a login refused: a refused login to Redis fails its check
        # with the server's error (RespError: WRONGPASS). A timeout (a stalled, loaded host: seen once
        # at a load average of 17) is no login problem and fences nothing; it is only logged.
        said = fence_log_since(lab, mark)
        log(f"watchdog log during the rotation: {said}")
        bad = [ln for lines in said.values() for ln in lines if "fenced" in ln or "RespError" in ln]
        assert not bad, said
        assert {n: lab.pid(n, FENCE_PROGRAM) for n in lab.redis_nodes} == pids, "the rotation restarted the watchdog"
        assert lab.wait_invariant() == master, "the rotation moved the master"
        assert sync_counters(lab, master) == syncs, "the replication link dropped (a resync) during the rotation"
        assert not logs_in(master, 6379, original[0]), "the old redis_password still logs in"
        assert not logs_in("node3", 26379, original[1]), "the old sentinel_password still logs in"
        assert_rerun_unchanged(lab, master)
        assert_fence_works(lab, mode)
        writer.wait_progress(20, acked=True)
        assert_no_acked_loss(lab, master, writer)
    finally:
        lab.repair()
        lab.wait_invariant(timeout=180)
        if original[0] != chaoslab.PASSWORD:
            rotate(lab, monkeypatch, original, [APP_PASSWORD], keep={"redis_fencing": mode})
        lab.extra_vars = {}
        converge_with(lab, redis_fencing=None)
