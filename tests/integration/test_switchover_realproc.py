"""hakit.redis.switchover against real redis-server / redis-sentinel processes on loopback, with a
writer running: every acknowledged write survives, the old master follows the new one, and every
refusal leaves the cluster as it was."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from _lab import PASSWORD, Cluster, Lab, play_one_task, wait_for


class Writer(threading.Thread):
    """SET k<i> on whatever master the Sentinels name; a write counts once SET and WAIT 1 succeed."""

    def __init__(self, lab: Lab, cluster: Cluster) -> None:
        super().__init__(daemon=True)
        self.lab, self.cluster = lab, cluster
        self.acked: list[str] = []
        self.errors = 0
        self.stopping = threading.Event()

    def master_port(self) -> int:
        sentinel = self.lab.client(self.cluster.sentinel_ports[0], password=None)
        return int(sentinel.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")[1])

    def run(self) -> None:
        i = 0
        while not self.stopping.is_set():
            key = f"k{i}"
            try:
                client = self.lab.client(self.master_port())
                client.set(key, i)
                if int(client.execute_command("WAIT", 1, 1000)) >= 1:
                    self.acked.append(key)
                i += 1
            except Exception:  # noqa: BLE001 - any refusal or reconnect is a non-acknowledged write
                self.errors += 1
                time.sleep(0.02)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def switchover(tmp_path: Path, cluster: Cluster, **args: Any) -> tuple[int, dict[str, Any], str]:
    flags = args.pop("flags", ())
    task = {"sentinels": cluster.sentinels, "redis_password": PASSWORD, **args}
    proc, result = play_one_task(tmp_path, "hakit.redis.switchover", task, flags=flags)
    assert result is not None
    return proc.returncode, result, proc.stdout + proc.stderr


def role(lab: Lab, port: int) -> str:
    return str(lab.client(port).execute_command("ROLE")[0])


def test_switchover_and_back_loses_no_acknowledged_write(cluster: Cluster, lab: Lab, tmp_path: Path) -> None:
    writer = Writer(lab, cluster)
    writer.start()
    wait_for("the writer's first writes", lambda: len(writer.acked) > 50)
    rc, result, out = switchover(tmp_path, cluster, target=cluster.replica)
    assert rc == 0, out
    assert result["changed"] and result["old_master"] == cluster.master and result["new_master"] == cluster.replica
    assert role(lab, cluster.replica_port) == "master" and role(lab, cluster.master_port) == "slave"
    assert PASSWORD not in out
    # Idempotent: asked again, nothing to do.
    rc, again, out = switchover(tmp_path, cluster, target=cluster.replica)
    assert rc == 0 and not again["changed"], out
    wait_for("the old master in sync", lambda: "online" in str(lab.client(cluster.replica_port).info("replication")))
    rc, back, out = switchover(tmp_path, cluster, target=cluster.master)
    assert rc == 0 and back["new_master"] == cluster.master, out
    time.sleep(0.5)
    writer.stop()
    keys = set(lab.client(cluster.master_port).keys("k*"))
    lost = [k for k in writer.acked if k not in keys]
    assert not lost, f"{len(lost)} acknowledged writes lost: {lost[:10]}"
    assert len(writer.acked) > 100
    pauses = f"{result['write_pause_seconds']} / {back['write_pause_seconds']} s"
    print(f"acked {len(writer.acked)}, refused {writer.errors}, write pauses {pauses}")


def test_check_mode_reports_the_move_and_changes_nothing(cluster: Cluster, lab: Lab, tmp_path: Path) -> None:
    rc, result, out = switchover(tmp_path, cluster, flags=("--check",))
    assert rc == 0, out
    assert result["changed"] and result["new_master"] == cluster.replica
    assert role(lab, cluster.master_port) == "master"


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("priority0", ["replica-priority is 0"]),
        ("not_a_replica", ["is not a replica of the master"]),
        ("no_majority", ["name no master by majority"]),
        ("no_quorum", ["cannot reach their quorum"]),
        ("link_down", ["link is not up"]),
    ],
)
def test_refusals_change_nothing(cluster: Cluster, lab: Lab, tmp_path: Path, setup: str, words: list[str]) -> None:
    target = cluster.replica
    if setup == "priority0":
        lab.client(cluster.replica_port).config_set("replica-priority", 0)
        sentinel = lab.client(cluster.sentinel_ports[0], password=None)

        def seen() -> bool:
            first = sentinel.execute_command("SENTINEL", "REPLICAS", "mymaster")[0]
            entry = first if isinstance(first, dict) else dict(zip(first[::2], first[1::2], strict=True))
            return str(entry["slave-priority"]) == "0"

        wait_for("the Sentinel to see priority 0", seen, timeout=15)
    elif setup == "not_a_replica":
        target = "127.0.0.1:1"
    elif setup == "no_majority":
        lab.kill("sentinel1")
        lab.kill("sentinel2")
    elif setup == "no_quorum":
        # Two of three still name the master, but quorum 3 needs all three.
        for port in cluster.sentinel_ports:
            lab.client(port, password=None).execute_command("SENTINEL", "SET", "mymaster", "quorum", 3)
        lab.kill("sentinel2")
        first = lab.client(cluster.sentinel_ports[0], password=None)

        def no_quorum() -> bool:
            try:
                first.execute_command("SENTINEL", "CKQUORUM", "mymaster")
            except Exception:  # noqa: BLE001 - NOQUORUM is the error reply waited for
                return True
            return False

        # Until the others see sentinel2 down (down-after 1 s), CKQUORUM still counts it.
        wait_for("the Sentinels to see sentinel2 down", no_quorum, timeout=15)
    elif setup == "link_down":
        # The replica can no longer log in to its master: the master drops it from its replicas.
        replica = lab.client(cluster.replica_port)
        replica.config_set("masterauth", "wrong")
        replica.execute_command("CLIENT", "KILL", "TYPE", "master")
        wait_for("the link to drop", lambda: "slave0" not in lab.client(cluster.master_port).info("replication"))
    rc, result, out = switchover(tmp_path, cluster, target=target, max_lag_bytes=1 << 30)
    assert rc != 0, out
    for word in words:
        assert word in result["msg"], result["msg"]
    assert "Nothing was changed" in result["msg"]
    assert role(lab, cluster.master_port) == "master"
