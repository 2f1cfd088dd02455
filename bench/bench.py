"""make bench: converge/re-run times and failover figures of topology 4 (issue 7).

Builds the chaos lab (tests/chaos/chaoslab.py: network hakit-chaos, 172.28.8.0/24) from nothing,
measures, writes bench/results/<date>.json and .md (plus the converge and re-run logs, with their
per-task profiles), prints the table and removes the lab. Environment (bench/run.sh lists it too):
BENCH_RUNS (default 3) repeats every fault; BENCH_RERUNS (default 3) the idempotent re-run;
BENCH_PARTS (default all) picks converge,kill,node-loss,switchover,rolling-restart,partition,split-brain;
HAKIT_CHAOS_DOWN_AFTER_MS sets down-after-milliseconds (default 5000, the role's); HAKIT_CHAOS_TLS=1
runs the whole lab with redis_tls and client certificates (issue 15): its node-loss rows say "(TLS)", to
set beside a plaintext run's (BENCH_PARTS=node-loss HAKIT_CHAOS_TLS=1 bench/run.sh).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
# The chaos lab, and tests/hakit_collection.py that it imports (pytest finds it through tests/conftest.py).
sys.path[:0] = [str(HERE.parent / "tests" / "chaos"), str(HERE.parent / "tests")]

from chaoslab import (
    DISTRO,
    DOWN_AFTER_MS,
    ENGINE,
    ISOLATED_WINDOW_BOUND,
    MIN_REPLICAS_MAX_LAG,
    PROGRAMS,
    TLS,
    Lab,
    PlayResult,
    Writer,
    log,
    measure_partition,
    wait_for,
)

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
RERUNS = int(os.environ.get("BENCH_RERUNS", "3"))
PARTS = ("converge", "kill", "node-loss", "switchover", "rolling-restart", "partition", "split-brain")
# HAKIT_CHAOS_TLS=1: every row the lab's TLS changes is marked, so a TLS run's figures stand beside the
# plaintext ones of another run in docs/bench.md.
TLS_LABEL = " (TLS)" if TLS else ""
CALLBACK_DIR = HERE / "callback_plugins"
CALLBACKS = ("ansible.posix.profile_tasks", "hakit_module_calls")


def parse_parts(value: str) -> list[str]:
    """BENCH_PARTS: comma-separated names from PARTS, or "all" (also when empty)."""
    names = [p.strip() for p in value.split(",") if p.strip()]
    if not names or names == ["all"]:
        return list(PARTS)
    unknown = sorted(set(names) - set(PARTS))
    if unknown:
        raise SystemExit(f"BENCH_PARTS: unknown part(s) {', '.join(unknown)}; choose from all, {', '.join(PARTS)}")
    return [p for p in PARTS if p in names]


def bench_env(env: dict[str, str], calls_file: Path | None) -> dict[str, str]:
    """The playbook environment plus the bench's callbacks: profile_tasks (per-task times in the log,
    every task in its summary) and hakit_module_calls (module runs per host into calls_file)."""
    env = dict(env)
    enabled = [c.strip() for c in env.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if c.strip()]
    env["ANSIBLE_CALLBACKS_ENABLED"] = ",".join(dict.fromkeys([*enabled, *CALLBACKS]))
    paths = [p for p in env.get("ANSIBLE_CALLBACK_PLUGINS", "").split(os.pathsep) if p]
    env["ANSIBLE_CALLBACK_PLUGINS"] = os.pathsep.join([*paths, str(CALLBACK_DIR)])
    env["PROFILE_TASKS_TASK_OUTPUT_LIMIT"] = "all"
    if calls_file is not None:
        env["HAKIT_BENCH_MODULE_CALLS"] = str(calls_file)
    return env


class BenchLab(Lab):
    """The chaos lab whose playbook runs carry the bench's callbacks (the chaos suite's do not)."""

    calls_file: Path | None = None  # set before each measured run; not a dataclass field

    def env(self) -> dict[str, str]:
        return bench_env(super().env(), self.calls_file)

    def timed_playbook(self, calls_file: Path) -> tuple[PlayResult, dict[str, object]]:
        """One topology-4 run; its module-call counts ({} when the callback wrote none)."""
        calls_file.unlink(missing_ok=True)
        self.calls_file = calls_file
        try:
            res = self.playbook()
        finally:
            self.calls_file = None
        calls = json.loads(calls_file.read_text()) if calls_file.exists() else {}
        return res, calls


def ansible_facts(env: dict[str, str]) -> dict[str, object]:
    """ansible-core version and effective pipelining (ansible-config, same env as the playbooks)."""
    out: dict[str, object] = {"ansible_core": importlib.metadata.version("ansible-core")}
    try:
        res = subprocess.run(["ansible-config", "dump", "--format", "json"], capture_output=True, text=True,
                             env=env, timeout=120, check=True)  # fmt: skip
        pipe = next(o for o in json.loads(res.stdout) if o.get("name") == "ANSIBLE_PIPELINING")
        out["pipelining"] = {"value": pipe.get("value"), "origin": pipe.get("origin")}
    except (subprocess.SubprocessError, OSError, ValueError, StopIteration) as exc:
        out["pipelining"] = {"value": None, "origin": f"ansible-config failed: {exc}"[:300]}
    return out


def connection_facts(inventory: Path, env: dict[str, str]) -> dict[str, object]:
    """The lab inventory's connection plugin and whether that plugin pipelines at all."""
    inv = yaml.safe_load(inventory.read_text())
    conn = str(inv["all"]["vars"].get("ansible_connection", "ssh"))
    probe = (
        "import sys\nfrom ansible.plugins.loader import connection_loader, init_plugin_loader\n"
        "init_plugin_loader()\nprint(connection_loader.get(sys.argv[1], class_only=True).has_pipelining)"
    )
    res = subprocess.run([sys.executable, "-c", probe, conn], capture_output=True, text=True, env=env, timeout=120)
    has = {"True": True, "False": False}.get(res.stdout.strip())
    return {"connection": conn, "connection_has_pipelining": has}


class Figures:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, object]] = {}
        self.on_change: Callable[[], None] | None = None

    def add(self, name: str, value: float | None, unit: str = "s", note: str = "") -> None:
        row = self.rows.setdefault(name, {"values": [], "unit": unit, "note": note})
        if note:
            row["note"] = note  # a later value may refine it (the re-runs' changed counts)
        row["values"].append(None if value is None else round(value, 2))  # type: ignore[union-attr]
        log(f"  {name}: {value} {unit}")
        if self.on_change:
            self.on_change()

    def table(self) -> str:
        lines = [
            f"down-after-milliseconds = {DOWN_AFTER_MS} ms, min-replicas-max-lag = {MIN_REPLICAS_MAX_LAG} s, "
            f"runs per fault = {RUNS}, idempotent re-runs = {RERUNS}",
            "",
            "| figure | min | median | max | n | unit | down-after | note |",
            "|---|---:|---:|---:|---:|---|---:|---|",
        ]
        for name, row in self.rows.items():
            vals = [v for v in row["values"] if v is not None]  # type: ignore[union-attr]
            missing = len(row["values"]) - len(vals)  # type: ignore[arg-type]
            stats = [f"{min(vals):g}", f"{statistics.median(vals):g}", f"{max(vals):g}"] if vals else ["-", "-", "-"]
            note = str(row["note"]) + (f" ({missing} run(s) without a value)" if missing else "")
            lines.append(
                f"| {name} | {' | '.join(stats)} | {len(vals)} | {row['unit']} | {DOWN_AFTER_MS} ms | {note} |"
            )
        return "\n".join(lines) + "\n"


def first_true(probes: dict[str, Callable[[], object]], timeout: float, interval: float = 0.1) -> dict[str, float]:
    """Polls every probe in turn until each has been true once; returns when each first was."""
    seen: dict[str, float] = {}
    deadline = time.time() + timeout
    while len(seen) < len(probes):
        for name, probe in probes.items():
            if name not in seen and probe():
                seen[name] = time.time()
        if time.time() > deadline:
            missing = sorted(set(probes) - set(seen))
            raise AssertionError(f"not seen within {timeout:g} s: {', '.join(missing)}")
        time.sleep(interval)
    return seen


def kill_to_restart(lab: Lab, figs: Figures) -> None:
    for run in range(RUNS):
        for prog in PROGRAMS:
            master = lab.wait_invariant()
            old = lab.kill(master, prog)
            t0 = time.time()
            wait_for(
                f"{prog} restarted on {master}",
                lambda p=prog, m=master, o=old: lab.pid(m, p) not in (0, o) and lab.answers(m, p),
                120,
                0.1,
            )
            figs.add(f"kill -9 {prog} on master -> running and answering", time.time() - t0,
                     note="supervisor autorestart, startsecs=1")  # fmt: skip
            after = lab.wait_invariant()
            figs.add(f"failovers caused by kill -9 {prog}", float(after != master), unit="count")
            log(f"run {run + 1}: {prog} done")


def node_loss(lab: Lab, figs: Figures) -> None:
    for run in range(RUNS):
        master = lab.wait_invariant()
        lab.wait_replicas_synced(master)
        ws = Writer(f"bench:nodeloss:{run}", "sentinel", lab.sentinel_nodes)
        wv = Writer(f"bench:nodeloss-vip:{run}", "vip", wait_ms=None)
        ws.start()
        wv.start()
        ws.wait_progress(50, acked=True)
        wv.wait_progress(50)
        lab.stop_node(master)
        t_dead = time.time()
        for w in (ws, wv):
            wait_for(f"a write via {w.mode} after the node loss", lambda w=w, t=t_dead: w.first_ok_after(t), 180)
        new = lab.wait_invariant(down=[master])
        for w, label in ((ws, "Sentinel client"), (wv, "VIP")):
            before, after = w.last_ok_before(t_dead), w.first_ok_after(t_dead)
            gap = after - before if before and after else None
            figs.add(f"node loss: write gap via {label}{TLS_LABEL}", gap,
                     note="last ok write before docker stop -> first ok after; target <= down-after + "
                          + ("2 s" if label == "Sentinel client" else "3 s"))  # fmt: skip
        lab.start_node(master)
        lab.wait_invariant(down=[])
        lab.wait_replicas_synced(new)
        ws.stop()
        wv.stop()
        lost = lab.missing(ws.acked_keys(), new)
        figs.add(f"node loss: acknowledged writes lost{TLS_LABEL}", len(lost), unit="writes",
                 note=f"of {len(ws.acked_keys())} acked (WAIT 1 >= 1)")  # fmt: skip
        log(f"run {run + 1}: node loss {master} -> {new}")


def start_writers(lab: Lab, prefix: str) -> tuple[Writer, Writer]:
    """A writer through Sentinel and one through the VIP, both with WAIT 1, each 50 acked writes in."""
    ws = Writer(f"bench:{prefix}", "sentinel", lab.sentinel_nodes)
    wv = Writer(f"bench:{prefix}-vip", "vip")
    for w in (ws, wv):
        w.start()
    for w in (ws, wv):
        w.wait_progress(50, acked=True)
    return ws, wv


def switchover(lab: Lab, figs: Figures) -> None:
    """hakit.redis.switchover to the replica and back, per run: the write gap it causes."""
    for run in range(RUNS):
        master = lab.wait_invariant()
        lab.wait_replicas_synced(master)
        ws, wv = start_writers(lab, f"switch:{run}")
        target = next(n for n in lab.redis_nodes if n != master)
        for to in (target, master):
            t0 = time.time()
            res = lab.playbook("switchover", extra={"target": to})
            t1 = time.time()
            if res.rc != 0:
                raise AssertionError(f"switchover to {to} failed: {res.output[-2000:]}")
            lab.wait_invariant()
            figs.add("switchover: playbook run (move + health check)", res.seconds, note="hakit.redis.switchover")
            for w, label in ((ws, "Sentinel client"), (wv, "VIP")):
                figs.add(f"switchover: longest write gap via {label}", w.longest_gap(t0, t1),
                         note="longest time between two ok writes during the run")  # fmt: skip
            lab.wait_replicas_synced(to)
        ws.stop()
        wv.stop()
        acked = ws.acked_keys() + wv.acked_keys()
        lost = lab.missing(acked, master)
        figs.add("switchover: acknowledged writes lost", len(lost), unit="writes",
                 note=f"of {len(acked)} acked (WAIT 1 >= 1), there and back")  # fmt: skip
        log(f"run {run + 1}: switchover {master} -> {target} -> {master}")


def rolling_restart(lab: Lab, figs: Figures) -> None:
    """hakit.redis.rolling_restart under writers: its run time and the write gap it causes."""
    for run in range(RUNS):
        master = lab.wait_invariant()
        lab.wait_replicas_synced(master)
        ws, wv = start_writers(lab, f"rolling:{run}")
        t0 = time.time()
        res = lab.playbook("rolling_restart")
        t1 = time.time()
        if res.rc != 0:
            raise AssertionError(f"rolling restart failed: {res.output[-2000:]}")
        new = lab.wait_invariant()
        lab.wait_replicas_synced(new)
        figs.add("rolling restart: playbook run", res.seconds, note="every daemon, the master by a switchover")
        for w, label in ((ws, "Sentinel client"), (wv, "VIP")):
            figs.add(f"rolling restart: longest write gap via {label}", w.longest_gap(t0, t1),
                     note="longest time between two ok writes during the run")  # fmt: skip
        ws.stop()
        wv.stop()
        acked = ws.acked_keys() + wv.acked_keys()
        lost = lab.missing(acked, new)
        figs.add("rolling restart: acknowledged writes lost", len(lost), unit="writes",
                 note=f"of {len(acked)} acked (WAIT 1 >= 1)")  # fmt: skip
        log(f"run {run + 1}: rolling restart, master {master} -> {new}")


def partition(lab: Lab, figs: Figures) -> None:
    # min-replicas-to-write 1 on 1 master / 1 replica, set at runtime (the lab is thrown away afterwards;
    # the chaos test does the same through the inventory and a playbook run, which costs minutes).
    for node in lab.redis_nodes:
        with lab.client(node) as c:
            c.config_set("min-replicas-to-write", 1)
            c.config_rewrite()
    for run in range(RUNS):
        master = lab.wait_invariant()
        lab.wait_replicas_synced(master)
        ws = Writer(f"bench:part:{run}", "sentinel", lab.sentinel_nodes)
        wd = Writer(f"bench:part-direct:{run}", f"node:{master}", wait_ms=None)
        ws.start()
        wd.start()
        ws.wait_progress(50, acked=True)
        t_part = time.time()
        lab.partition(master)
        others = [n for n in lab.sentinel_nodes if n != master]
        # Both polled in one loop: waiting for NOREPLICAS first would hide a promotion that came earlier.
        seen = first_true(
            {
                "refused": lambda w=wd, t=t_part: w.errors_after(t, "NOREPLICAS"),
                "promoted": lambda o=others, m=master: (lab.master(o) or m) != m,
            },
            timeout=180,
        )
        last_ok = max((t for t, _, ok, _, _ in wd.snapshot() if ok and t > t_part), default=None)
        figs.add(
            "partition: isolated master accepted writes for",
            (last_ok - t_part) if last_ok else 0.0,
            note=f"min-replicas-to-write 1 (1 master/1 replica); bound max-lag {MIN_REPLICAS_MAX_LAG} + 2 s",
        )
        figs.add(
            "partition: majority side promoted after",
            seen["promoted"] - t_part,
            note="from iptables applied until the other Sentinels name the replica (polled)",
        )
        new = lab.master(others)
        stale = wd.ok_keys(after=t_part)
        lab.heal()
        lab.wait_invariant()
        lab.wait_replicas_synced(str(new))
        ws.stop()
        wd.stop()
        figs.add("partition: acknowledged writes lost", len(lab.missing(ws.acked_keys(), str(new))), unit="writes")
        figs.add("partition: writes the isolated master took, lost on rejoin",
                 len(lab.missing(stale, str(new))), unit="writes", note="reported, not asserted")  # fmt: skip


# Issue 13: the layouts and modes the split-brain figures compare, in the order they run (the lab
# ends with node4 added, so the 1 + 2 layout comes last).
SPLIT_BRAIN_CASES = (
    ("1+1, redis_fencing none", {"redis_fencing": None}),
    ("1+1, redis_fencing replica", {"redis_fencing": "replica"}),
    ("1+1, redis_fencing sentinels", {"redis_fencing": "sentinels"}),
    ("1+2, defaults", {"redis_fencing": None}),
)


def split_brain(lab: Lab, figs: Figures) -> None:
    """Master cut off from every peer (chaoslab.measure_partition), held 5 s past the promotion, for
    each case; the lab converged with the case's variables (a playbook run, not measured)."""
    for case, variables in SPLIT_BRAIN_CASES:
        if case.startswith("1+2") and "node4" not in lab.redis_nodes:
            lab.add_replica("node4")
        for key, value in variables.items():
            if value is None:
                lab.extra_vars.pop(key, None)
            else:
                lab.extra_vars[key] = value
        res = lab.playbook()
        assert res.rc == 0, f"{case}: converge rc={res.rc}"
        for run in range(RUNS):
            fig = measure_partition(lab, hold=5, prefix=f"bench-sb{run}")
            name = f"split brain {case}"
            overlap = "both masters taking writes, 0 = the invariant; without fencing as long as the partition"
            window = f"cut -> its last accepted write; min-replicas bound max-lag + 2 = {ISOLATED_WINDOW_BOUND} s"
            figs.add(f"{name}: overlap", fig.overlap, note=overlap + " (held 5 s past the promotion)")
            figs.add(f"{name}: isolated master's window", fig.window, note=window)
            figs.add(f"{name}: writes lost on rejoin", fig.lost, unit="writes",
                     note="every write accepted after the cut, acknowledged or not, gone after the rejoin")  # fmt: skip
            figs.add(f"{name}: write unavailability", fig.unavailable,
                     note="cut -> the new master's first accepted write (the heal when it takes none)")  # fmt: skip
            figs.add(
                f"{name}: promoted after", fig.promoted, note="cut -> a majority of the Sentinels names the new master"
            )
            figs.add(f"split brain {case}: acknowledged writes lost", fig.acked_lost, unit="writes", note="must be 0")
    lab.extra_vars.pop("redis_fencing", None)


def fail(meta: dict[str, object], what: str) -> None:
    log(f"FAILED: {what}")
    meta.setdefault("failures", []).append(what[:500])  # type: ignore[union-attr]


def add_calls(figs: Figures, when: str, calls: dict[str, object]) -> None:
    """One row per host and one for the busiest host, from hakit_module_calls' counts."""
    per_host: dict[str, int] = calls.get("per_host") or {}  # type: ignore[assignment]
    note = "task results run on the host (each loop item and retry; bench/callback_plugins)"
    for host, n in sorted(per_host.items()):
        figs.add(f"remote module calls per host on {when}: {host}", n, unit="calls", note=note)
    figs.add(f"remote module calls per host on {when}: max", max(per_host.values(), default=None), unit="calls",
             note="the busiest host" if per_host else "the callback wrote no counts")  # fmt: skip


def converge(lab: BenchLab, figs: Figures, meta: dict[str, object], logs: Path, reruns: int) -> None:
    """The first converge once, then `reruns` idempotent re-runs; logs (with profiles) kept beside the results."""
    calls_meta: dict[str, object] = {}
    meta["module_calls"] = calls_meta
    res, calls = lab.timed_playbook(lab.workdir / "calls-converge.json")
    Path(f"{logs}-converge.log").write_text(res.output)
    calls_meta["converge"] = calls
    if res.rc != 0:
        print(res.output[-4000:], flush=True)
    assert res.rc == 0, f"first converge: ansible-playbook rc={res.rc} (see {Path(logs).name}-converge.log)"
    figs.add("first converge of topology 4 on bare containers", res.seconds,
             note=f"ansible-playbook wall time; changed={res.total_changed}")  # fmt: skip
    add_calls(figs, "the first converge", calls)
    if not reruns:
        return
    lab.wait_invariant()
    changed: list[str] = []
    for n in range(1, reruns + 1):
        res, calls = lab.timed_playbook(lab.workdir / f"calls-rerun-{n}.json")
        Path(f"{logs}-rerun-{n}.log").write_text(res.output)
        calls_meta[f"rerun-{n}"] = calls
        changed.append(str(res.total_changed) if res.rc == 0 else f"rc={res.rc}")
        if res.rc != 0:
            fail(meta, f"idempotent re-run {n}: ansible-playbook rc={res.rc} (see {Path(logs).name}-rerun-{n}.log)")
        if res.total_changed:
            fail(meta, f"idempotent re-run {n}: changed={res.total_changed}: " + "; ".join(res.changed_tasks()))
        figs.add("idempotent re-run", res.seconds if res.rc == 0 else None,
                 note=f"ansible-playbook wall time; changed={', '.join(changed)} (must be 0)")  # fmt: skip
        figs.add("idempotent re-run: tasks changed", res.total_changed, unit="tasks", note="must be 0")
        add_calls(figs, "a re-run", calls)


def main() -> int:
    parts = parse_parts(os.environ.get("BENCH_PARTS", "all"))
    reruns = RERUNS if "converge" in parts else 0
    if reruns < 0 or RUNS < 1:
        raise SystemExit("BENCH_RUNS must be >= 1 and BENCH_RERUNS >= 0")
    stamp = time.strftime("%Y-%m-%d-%H%M")
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    figs = Figures()
    meta: dict[str, object] = {
        "date": stamp,
        "parts": parts,
        "runs": RUNS,
        "reruns": reruns,
        "down_after_ms": DOWN_AFTER_MS,
        "tls": TLS,
        "min_replicas_max_lag_s": MIN_REPLICAS_MAX_LAG,
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "host": platform.platform(),
        "shape": "topology 4: node1+node2 redis+sentinel, node3 sentinel-only, VIP (containers)",
        # issue 16: BENCH_ENGINE=valkey (on Debian 13) or HAKIT_CHAOS_ENGINE/HAKIT_CHAOS_DISTRO
        "engine": ENGINE,
        "distro": DISTRO,
        "callbacks": list(CALLBACKS),
        "logs": [],
    }

    def header() -> str:
        pipe = meta.get("pipelining") or {}
        load = "/".join(f"{x:.2f}" for x in meta["loadavg_start"])  # type: ignore[attr-defined]
        return (
            f"ansible-core {meta.get('ansible_core', '?')}, pipelining {pipe.get('value')} "  # type: ignore[union-attr]
            f"(from {pipe.get('origin')}), connection {meta.get('connection', '?')} "  # type: ignore[union-attr]
            f"(plugin pipelines: {meta.get('connection_has_pipelining', '?')}), {meta['cpus']} cpus, "
            f"load average at start {load}, parts: {','.join(parts)}\n\n"
        )

    def write(final: bool = False) -> str:
        meta["result"] = "failed" if meta.get("failures") else ("ok" if final else "partial")
        md = f"# hakit.redis bench {stamp}{'' if final else ' (partial: still running or interrupted)'}\n\n"
        md += header() + figs.table()
        if meta.get("failures"):
            md += "\nFailures:\n" + "".join(f"- {f}\n" for f in meta["failures"])  # type: ignore[attr-defined]
        (out_dir / f"{stamp}.json").write_text(json.dumps({"meta": meta, "figures": figs.rows}, indent=2) + "\n")
        (out_dir / f"{stamp}.md").write_text(md)
        return md

    figs.on_change = write
    faults = {"kill": kill_to_restart, "node-loss": node_loss, "switchover": switchover,
              "rolling-restart": rolling_restart, "partition": partition, "split-brain": split_brain}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="hakit-bench-") as tmp:
        lab = BenchLab(Path(tmp))
        try:
            lab.create()
            meta.update(ansible_facts(lab.env()))
            meta.update(connection_facts(lab.write_inventory(), lab.env()))
            meta["logs"] = [f"{stamp}-converge.log", *(f"{stamp}-rerun-{n}.log" for n in range(1, reruns + 1))]
            write()
            try:
                converge(lab, figs, meta, out_dir / stamp, reruns)
            except AssertionError as exc:
                fail(meta, f"converge: {exc}")
                parts = [p for p in parts if p == "converge"]  # no lab to break
            for part in parts:
                if part not in faults:
                    continue
                try:
                    faults[part](lab, figs)
                except AssertionError as exc:
                    fail(meta, f"{part}: {exc}")
                    lab.repair()
        finally:
            meta["loadavg_end"] = os.getloadavg()
            Lab.destroy()
    print(write(final=True))
    return 1 if meta.get("failures") else 0


if __name__ == "__main__":
    sys.exit(main())
