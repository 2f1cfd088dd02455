"""The fence watchdog (redis_fencing: sentinels, issue 13) against a real redis-server and three
real Sentinels on loopback: a healthy master is left alone; with two Sentinels stopped (SIGSTOP: no
answer at all) it is fenced (NOREPLICAS) within about grace + a check; once they answer again it is
unfenced and the file Redis rewrote holds the configured value."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from _lab import Cluster, Lab, wait_for

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "redis" / "files" / "hakit-redis-fence.py"
FENCE_PASSWORD = "fence pw 'x' #1"


def writable(lab: Lab, port: int) -> bool:
    import redis

    try:
        lab.client(port).set("fence:probe", 1)
    except redis.ResponseError as exc:
        assert "NOREPLICAS" in str(exc)
        return False
    return True


def test_fence_on_lost_sentinel_majority_and_back(cluster: Cluster, lab: Lab, tmp_path: Path) -> None:
    master = lab.client(cluster.master_port)
    master.execute_command("ACL", "SETUSER", "hakit-fence", "on", f">{FENCE_PASSWORD}", "-@all", "+ping", "+role",
                           "+config|get", "+config|set", "+config|rewrite")  # fmt: skip
    settings = tmp_path / "fence.json"
    settings.write_text(json.dumps({
        "redis": {"host": "127.0.0.1", "port": cluster.master_port, "user": "hakit-fence",
                  "passwords": ["an old one", FENCE_PASSWORD]},
        "self": cluster.master, "sentinels": cluster.sentinels, "sentinel_user": "", "sentinel_passwords": [],
        "master_name": "mymaster", "min_replicas_to_write": 0,
    }))  # fmt: skip
    log = (tmp_path / "fence.log").open("w")
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(settings)], stdout=log, stderr=subprocess.STDOUT)
    stopped = [lab.procs["sentinel1"], lab.procs["sentinel2"]]
    try:
        time.sleep(2)
        assert proc.poll() is None, (tmp_path / "fence.log").read_text()
        assert writable(lab, cluster.master_port), "a healthy master was fenced"
        for p in stopped:
            p.send_signal(signal.SIGSTOP)
        t0 = time.monotonic()
        wait_for("the fence", lambda: not writable(lab, cluster.master_port), timeout=10, interval=0.05)
        fenced_after = time.monotonic() - t0
        # grace 1 s + one 0.5 s check + the 0.3 s timeouts, with slack for a loaded machine
        assert fenced_after < 3.0, f"fenced only after {fenced_after:.2f} s"
        for p in stopped:
            p.send_signal(signal.SIGCONT)
        wait_for("the unfence", lambda: writable(lab, cluster.master_port), timeout=10, interval=0.1)
        assert master.config_get("min-replicas-to-write")["min-replicas-to-write"] == "0"
        conf = (tmp_path / "master" / "server.conf").read_text()
        assert "min-replicas-to-write 1000000" not in conf
    finally:
        for p in stopped:
            p.send_signal(signal.SIGCONT)
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    print((tmp_path / "fence.log").read_text())
    print(f"fenced {fenced_after:.2f} s after two of three Sentinels stopped answering")


def test_replica_gets_the_configured_value_back(cluster: Cluster, lab: Lab, tmp_path: Path) -> None:
    replica = lab.client(cluster.replica_port)
    replica.execute_command("ACL", "SETUSER", "hakit-fence", "on", f">{FENCE_PASSWORD}", "-@all", "+ping", "+role",
                            "+config|get", "+config|set", "+config|rewrite")  # fmt: skip
    replica.config_set("min-replicas-to-write", 1000000)
    replica.config_rewrite()
    settings = tmp_path / "fence.json"
    settings.write_text(json.dumps({
        "redis": {"host": "127.0.0.1", "port": cluster.replica_port, "user": "hakit-fence",
                  "passwords": [FENCE_PASSWORD]},
        "self": cluster.replica, "sentinels": cluster.sentinels, "master_name": "mymaster", "min_replicas_to_write": 1,
    }))  # fmt: skip
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(settings)], stdout=subprocess.DEVNULL)
    try:
        wait_for("restored", lambda: replica.config_get("min-replicas-to-write")["min-replicas-to-write"] == "1", 10)
        wait_for(
            "rewritten", lambda: "min-replicas-to-write 1\n" in (tmp_path / "replica" / "server.conf").read_text(), 10
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
