"""Issue 12 against the topology-4 lab: least privilege by default, no secret outside no_log.

- From a host that is not part of the deployment (a fourth container on the lab network, talking
  RESP with the standard library only, see resp_probe.py): unauthenticated Sentinel and Redis
  commands are refused, the application user (redis_users) cannot administer, the check user can
  only read, and every internal user authenticates with the password derived for it (so the scans
  below look for the secrets the hosts really hold).
- No secret in any node's process list while the lab converges, fails over and re-runs, nor in the
  -vvv output of those runs (every password is hostile, see chaoslab.py).

Cost: the scans reuse what the lab does anyway. The session's first converge runs with -vvv under
the process-list sampler (conftest.py), and test_faults.py's node-loss test samples its failover
and makes its re-run with -vvv. Only when that test did not run first (this module alone) does the
`scanned` fixture fail over and re-run here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chaoslab import (
    APP_PASSWORD,
    APP_USER,
    MASTER_NAME,
    PASSWORD,
    REDIS_ERRORS,
    REDIS_INTERNAL_USERS,
    SENTINEL_INTERNAL_USERS,
    SENTINEL_PASSWORD,
    SUBNET,
    Lab,
    deployed_secrets,
    find_secrets,
    internal_password,
    log,
    wait_for,
)

# A sampler that works takes ~4 samples a second per node; these bounds are far below that, so a
# sampler that stopped early or never ran fails the scan instead of passing it.
MIN_SAMPLES_PER_NODE = 5
MIN_RATE = 1.0  # samples per node and second, over a whole phase
PHASES = ("converge", "failover", "rerun")
# An unused address inside the lab's own subnet: should a regression let an unauthenticated
# SENTINEL MONITOR through, the Sentinel would try this address, never one outside the project.
MONITOR_TARGET = SUBNET.replace(".0/24", ".99")
KEY = "hakit:probe:k"

REDIS, SENTINEL = 6379, 26379


def error(reply: object) -> str:
    return str(reply["error"]) if isinstance(reply, dict) and "error" in reply else ""


def refused(reply: object, *prefixes: str) -> bool:
    return error(reply).startswith(prefixes)


def show(cmds: list[list[str]], replies: list[object]) -> str:
    return "; ".join(f"{' '.join(c)} -> {r!r}"[:200] for c, r in zip(cmds, replies, strict=False))


@pytest.fixture(scope="module")
def probe(lab: Lab) -> Iterator[Lab]:
    """The fourth container, on the lab network but not in the inventory; removed afterwards."""
    master = lab.wait_invariant(timeout=180)
    lab.wait_replicas_synced(master)
    lab.start_probe()
    try:
        yield lab
    finally:
        lab.remove_probe()


# ---- a host outside the deployment ------------------------------------------------------------


@pytest.mark.fast
def test_unauthenticated_sentinel_commands_are_refused(probe: Lab) -> None:
    lab = probe
    # The harmless one first: a Sentinel that answers it unauthenticated is open, and the probe
    # then sends it none of the destructive ones (refused_only).
    cmds = [
        ["SENTINEL", "get-master-addr-by-name", MASTER_NAME],
        ["SENTINEL", "SET", MASTER_NAME, "down-after-milliseconds", "1"],
        ["SENTINEL", "FAILOVER", MASTER_NAME],
        ["SENTINEL", "MONITOR", "x", MONITOR_TARGET, "6379", "1"],
        ["SENTINEL", "REMOVE", MASTER_NAME],
    ]
    nodes = lab.sentinel_nodes
    results = lab.resp([lab.session(n, SENTINEL, cmds, refused_only=True) for n in nodes])
    problems = [f"{n}: {show(cmds, r)}" for n, r in zip(nodes, results, strict=True)
                if not all(refused(x, "NOAUTH") for x in r)]  # fmt: skip
    assert not problems, (
        "an unauthenticated client on the lab network is not refused (NOAUTH) by the Sentinels "
        "(after the first accepted command the probe sends nothing more):\n" + "\n".join(problems)
    )


@pytest.mark.fast
def test_unauthenticated_redis_commands_are_refused(probe: Lab) -> None:
    lab = probe
    cmds = [["CONFIG", "GET", "*"], ["SET", KEY, "v"], ["FLUSHALL"]]
    nodes = lab.redis_nodes
    results = lab.resp([lab.session(n, REDIS, cmds, refused_only=True) for n in nodes])
    problems = [f"{n}: {show(cmds, r)}" for n, r in zip(nodes, results, strict=True)
                if not all(refused(x, "NOAUTH") for x in r)]  # fmt: skip
    assert not problems, "unauthenticated Redis commands not refused (NOAUTH):\n" + "\n".join(problems)


@pytest.mark.fast
def test_app_user_reads_and_writes_but_cannot_administer(probe: Lab) -> None:
    lab = probe
    master = lab.wait_invariant()
    app = (APP_USER, APP_PASSWORD)
    ok_cmds = [["SET", KEY, "from-app"], ["GET", KEY], ["DEL", KEY]]
    # FLUSHALL last: if CONFIG or DEBUG went through, the probe stops before it (refused_only).
    bad_cmds = [["CONFIG", "GET", "*"], ["DEBUG", "SLEEP", "0"], ["FLUSHALL"]]
    ok, bad = lab.resp([lab.session(master, REDIS, ok_cmds, auth=app),
                        lab.session(master, REDIS, bad_cmds, auth=app, refused_only=True)])  # fmt: skip
    assert ok[0] == "OK", f"the application user '{APP_USER}' (redis_users) cannot log in: {ok[0]!r}"
    assert ok[1:] == ["OK", "from-app", 1], f"the application user cannot write and read: {show(ok_cmds, ok[1:])}"
    # DEBUG: Redis refuses it to every remote client before any ACL check while enable-debug-command
    # is no (the hardening default); ACL DRYRUN below shows the user's own rules refuse it too.
    expected = [("NOPERM",), ("NOPERM", "ERR DEBUG command not allowed"), ("NOPERM",)]
    problems = [f"{' '.join(c)} -> {r!r}" for c, r, e in zip(bad_cmds, bad[1:], expected, strict=True)
                if not refused(r, *e)]  # fmt: skip
    with lab.client(master) as admin:
        for cmd in bad_cmds:
            try:
                verdict = str(admin.execute_command("ACL", "DRYRUN", APP_USER, *cmd))
            except REDIS_ERRORS as exc:
                verdict = f"{type(exc).__name__}: {exc}"
            if "no permissions" not in verdict:
                problems.append(f"ACL DRYRUN {APP_USER} {' '.join(cmd)} -> {verdict!r}")
    assert not problems, f"the application user '{APP_USER}' may administer:\n" + "\n".join(problems)


@pytest.mark.fast
def test_check_user_only_reads_state_on_redis(probe: Lab) -> None:
    lab = probe
    ok_cmds = [["PING"], ["INFO", "replication"], ["ROLE"]]
    bad_cmds = [["GET", KEY], ["CONFIG", "GET", "*"], ["SET", KEY, "v"]]
    nodes = lab.redis_nodes
    cred = ("hakit-check", internal_password("hakit-check"))
    results = lab.resp([lab.session(n, REDIS, ok_cmds, auth=cred) for n in nodes]
                       + [lab.session(n, REDIS, bad_cmds, auth=cred, refused_only=True) for n in nodes])  # fmt: skip
    problems = []
    for n, ok, bad in zip(nodes, results[: len(nodes)], results[len(nodes) :], strict=True):
        if ok[0] != "OK":
            problems.append(f"{n}: AUTH hakit-check -> {ok[0]!r}")
            continue
        pong, info, role = ok[1:]
        if pong != "PONG" or "role:" not in str(info) or not isinstance(role, list):
            problems.append(f"{n}: {show(ok_cmds, ok[1:])}")
        if not all(refused(r, "NOPERM") for r in bad[1:]):
            problems.append(f"{n}: {show(bad_cmds, bad[1:])}")
    assert not problems, "hakit-check on Redis: PING, INFO and ROLE only:\n" + "\n".join(problems)


@pytest.mark.fast
def test_check_user_only_reads_state_on_sentinel(probe: Lab) -> None:
    lab = probe
    ok_cmds = [["PING"], ["SENTINEL", "get-master-addr-by-name", MASTER_NAME]]
    bad_cmds = [["SENTINEL", "FAILOVER", MASTER_NAME]]
    nodes = lab.sentinel_nodes
    cred = ("hakit-check", internal_password("hakit-check", "sentinel"))
    results = lab.resp([lab.session(n, SENTINEL, ok_cmds, auth=cred) for n in nodes]
                       + [lab.session(n, SENTINEL, bad_cmds, auth=cred) for n in nodes])  # fmt: skip
    problems = []
    for n, ok, bad in zip(nodes, results[: len(nodes)], results[len(nodes) :], strict=True):
        if ok[0] != "OK":
            problems.append(f"{n}: AUTH hakit-check -> {ok[0]!r}")
            continue
        if ok[1] != "PONG" or not (isinstance(ok[2], list) and len(ok[2]) == 2):
            problems.append(f"{n}: {show(ok_cmds, ok[1:])}")
        if not refused(bad[1], "NOPERM"):
            problems.append(f"{n}: {show(bad_cmds, bad[1:])}")
    if any("FAILOVER" in p and "NOPERM" not in p for p in problems):
        lab.wait_invariant(timeout=180)  # a failover went through: let it finish for the next test
    assert not problems, "hakit-check on the Sentinels: PING and the master's address only:\n" + "\n".join(problems)


@pytest.mark.fast
def test_every_user_logs_in_with_the_password_the_scans_look_for(probe: Lab) -> None:
    """The hostile passwords work over the network, and the derived passwords are the ones the
    hosts hold: otherwise the secret scans would search for strings that are not secrets."""
    lab = probe
    master = lab.wait_invariant()
    sentinel = lab.sentinel_nodes[0]
    logins = [(master, REDIS, "default", PASSWORD), (master, REDIS, APP_USER, APP_PASSWORD)]
    logins += [(master, REDIS, u, internal_password(u)) for u in REDIS_INTERNAL_USERS]
    if SENTINEL_PASSWORD:
        logins += [(sentinel, SENTINEL, "default", SENTINEL_PASSWORD)]
        logins += [(sentinel, SENTINEL, u, internal_password(u, "sentinel")) for u in SENTINEL_INTERNAL_USERS]
    results = lab.resp([lab.session(n, p, [["PING"]], auth=(u, pw)) for n, p, u, pw in logins])
    failed = [f"{u} on {n}:{p} -> {r[0]!r}" for (n, p, u, _), r in zip(logins, results, strict=True) if r[0] != "OK"]
    assert not failed, "these users cannot log in with the password the lab expects:\n" + "\n".join(failed)


# ---- no secret in process lists or -vvv output --------------------------------------------------


@pytest.fixture(scope="module")
def scanned(lab: Lab) -> Lab:
    """A failover and an idempotent -vvv re-run, both sampled: test_faults.py's node-loss test makes
    them when it ran first in this session; otherwise they are made here."""

    def sampled(phase: str) -> bool:
        counts = lab.ps.samples.get(phase, {})
        return bool(counts) and min(counts.values()) >= MIN_SAMPLES_PER_NODE

    if not sampled("failover"):
        master = lab.wait_invariant(timeout=180)
        lab.wait_replicas_synced(master)
        with lab.ps.during("failover", lab.nodes):
            with lab.client(master, SENTINEL) as c:
                c.execute_command("SENTINEL", "FAILOVER", MASTER_NAME)
            new = wait_for("the failover", lambda: (lab.master() or master) != master and lab.master(), 120)
            lab.wait_invariant(timeout=120)
            lab.wait_replicas_synced(str(new))
    if not sampled("rerun") or not any(label.startswith("re-run") for label, _ in lab.verbose_runs):
        lab.wait_invariant(timeout=180)
        with lab.ps.during("rerun", lab.nodes):
            lab.playbook(verbose="re-run after a failover")
    return lab


@pytest.mark.fast
def test_process_lists_hold_no_secret(scanned: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    lab = scanned
    ps = lab.ps
    summary = []
    too_few = []
    for phase in PHASES:
        counts = ps.samples.get(phase, {})
        secs = ps.seconds.get(phase, 0.0)
        total = sum(counts.values())
        nodes = sorted(ps.nodes.get(phase, set()))
        summary.append(
            f"{phase}: {total} samples in {secs:.0f} s ({', '.join(f'{n} {counts.get(n, 0)}' for n in nodes)})"
        )
        if not nodes:
            too_few.append(f"{phase}: never sampled")
            continue
        few = [n for n in nodes if counts.get(n, 0) < MIN_SAMPLES_PER_NODE]
        if few or total < MIN_RATE * secs * len(nodes):
            too_few.append(f"{phase}: {total} samples in {secs:.0f} s, too few on {few or 'average'}")
    lines = list(ps.lines)
    with capsys.disabled():
        print(f"\n[chaos ps scan] {len(lines)} distinct process lines; " + "; ".join(summary))
    log("ps scan: " + "; ".join(summary))
    assert not too_few, "the process-list sampler did not sample enough:\n" + "\n".join(too_few)
    names = deployed_secrets()
    hits = []
    for line in sorted(lines):
        masked = find_secrets([line], names)
        if masked:
            seen = ", ".join(f"{p}@{n}" for p, n in sorted(ps.lines[line]))
            hits.append(f"{masked[0]}   [seen in {seen}]")
    assert not hits, f"secrets in the nodes' process lists ({len(hits)} distinct lines; secret masked):\n" + "\n".join(
        hits[:25]
    )


@pytest.mark.fast
def test_verbose_runs_show_no_secret(scanned: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    lab = scanned
    runs = lab.verbose_runs
    assert any(label.startswith("re-run") for label, _ in runs), "no -vvv re-run was made"
    problems = []
    for label, res in runs:
        if res.rc != 0:
            problems.append(f"{label}: rc {res.rc}:\n{res.output[-3000:]}")
        elif label.startswith("re-run") and res.total_changed:
            problems.append(f"{label}: changed {res.changed}: {res.changed_tasks()}")
    with capsys.disabled():
        print(f"\n[chaos -vvv scan] {len(runs)} runs, {sum(len(r.output) for _, r in runs)} characters: "
              + ", ".join(label for label, _ in runs))  # fmt: skip
    leaks = []
    for label, res in runs:
        hits = find_secrets(res.output.splitlines())
        if hits:
            leaks.append(f"{label}: {len(hits)} lines, e.g.\n    " + "\n    ".join(h[:300] for h in hits[:8]))
    assert not leaks, "secrets in -vvv output (secret masked):\n" + "\n".join(leaks)
    assert not problems, "\n".join(problems)
