"""hakit.redis.sentinel_forget against real Sentinels: a replica that left is forgotten, one Sentinel
at a time, and a second run changes nothing."""

from __future__ import annotations

from pathlib import Path

from _lab import Cluster, Lab, play_one_task, wait_for


def known_replicas(lab: Lab, port: int) -> int:
    state = lab.client(port, password=None).execute_command("SENTINEL", "MASTER", "mymaster")
    fields = state if isinstance(state, dict) else dict(zip(state[::2], state[1::2], strict=True))
    return int(fields["num-slaves"])


def test_a_removed_replica_is_forgotten_and_a_rerun_changes_nothing(cluster: Cluster, lab: Lab, tmp_path: Path) -> None:
    extra = lab.redis("replica2", cluster.master_port + 2, replicaof=cluster.master_port)
    for port in cluster.sentinel_ports:
        wait_for("the Sentinels to see the second replica", lambda p=port: known_replicas(lab, p) == 2, timeout=20)
    lab.kill("replica2")
    for port in cluster.sentinel_ports:
        others = [s for s in cluster.sentinels if not s.endswith(f":{port}")]
        args = {"port": port, "replicas": [cluster.replica], "sentinels": others, "timeout": 30}
        proc, result = play_one_task(tmp_path, "hakit.redis.sentinel_forget", args)
        assert proc.returncode == 0 and result is not None, proc.stdout
        assert result["changed"] and result["forgotten"] == [f"127.0.0.1:{extra}"]
        assert known_replicas(lab, port) == 1
        proc, again = play_one_task(tmp_path, "hakit.redis.sentinel_forget", args)
        assert proc.returncode == 0 and again is not None and not again["changed"], proc.stdout


def test_check_mode_names_what_it_would_forget(cluster: Cluster, lab: Lab, tmp_path: Path) -> None:
    port = cluster.sentinel_ports[0]
    others = [s for s in cluster.sentinels if not s.endswith(f":{port}")]
    args = {"port": port, "replicas": [], "sentinels": others}
    proc, result = play_one_task(tmp_path, "hakit.redis.sentinel_forget", args, flags=("--check",))
    assert proc.returncode == 0 and result is not None, proc.stdout
    assert result["changed"] and result["forgotten"] == [cluster.replica]
    assert known_replicas(lab, port) == 1
