"""playbooks/status.yml (`ansible-playbook hakit.redis.status`) against loopback processes.

Each inventory host stands for a node: all are reached with the local connection at 127.0.0.1,
and per-host redis_port / sentinel_port tell them apart.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _lab import PASSWORD, Cluster, Lab

from hakit_collection import ansible_env


def inventory(tmp_path: Path, cluster: Cluster) -> Path:
    node = {"ansible_host": "127.0.0.1", "ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {
        "node1": {**node, "redis_port": cluster.master_port, "sentinel_port": cluster.sentinel_ports[0]},
        "node2": {**node, "redis_port": cluster.replica_port, "sentinel_port": cluster.sentinel_ports[1]},
        "node3": {**node, "sentinel_port": cluster.sentinel_ports[2]},
    }
    inv = {
        "all": {
            "vars": {"redis_password": PASSWORD},
            "children": {"redis": {"hosts": {h: hosts[h] for h in ("node1", "node2")}}, "sentinel": {"hosts": hosts}},
        }
    }
    path = tmp_path / "inventory.json"
    # JSON is YAML: the yaml inventory plugin reads it.
    path.with_suffix(".yml").write_text(json.dumps(inv), encoding="utf-8")
    return path.with_suffix(".yml")


def run_status(inv: Path) -> subprocess.CompletedProcess[str]:
    playbook = str(Path(sys.executable).parent / "ansible-playbook")
    return subprocess.run(
        [playbook, "hakit.redis.status", "-i", str(inv)],
        capture_output=True,
        text=True,
        env=ansible_env(),
        timeout=180,
        check=False,
    )


def test_status_healthy_prints_table(healthy_cluster: Cluster, tmp_path: Path) -> None:
    proc = run_status(inventory(tmp_path, healthy_cluster))
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "ROLE      ADDRESS" in out
    assert f"master    {healthy_cluster.master}" in out
    assert f"replica   {healthy_cluster.replica}" in out, out
    assert "quorum 2: 3 of 3 Sentinels up, failover possible" in out
    assert "Redis HA healthy" in out
    assert PASSWORD not in out


def test_status_unhealthy_fails(cluster: Cluster, lab: Lab, tmp_path: Path) -> None:
    lab.kill("sentinel2")
    proc = run_status(inventory(tmp_path, cluster))
    assert proc.returncode != 0
    assert f"sentinel 127.0.0.1:{cluster.sentinel_ports[2]} unreachable" in proc.stdout
    assert "Redis HA unhealthy" in proc.stdout


def test_status_publishes_the_endpoints_as_facts(healthy_cluster: Cluster, tmp_path: Path) -> None:
    """Application roles later in the same run read hakit_redis_* (issue 14, facts for other roles)."""
    inv = inventory(tmp_path, healthy_cluster)
    play = tmp_path / "app.yml"
    play.write_text(
        "- name: Status\n  ansible.builtin.import_playbook: hakit.redis.status\n"
        "- hosts: node3\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.debug:\n"
        "        msg: \"ENDPOINTS {{ hakit_redis_master }} {{ hakit_redis_replicas | join(',') }}"
        ' {{ hakit_redis_sentinels | length }} [{{ hakit_redis_vip }}]"\n',
        encoding="utf-8",
    )
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(play), "-i", str(inv)],
        capture_output=True,
        text=True,
        env=ansible_env(),
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"ENDPOINTS {healthy_cluster.master} {healthy_cluster.replica} 3 []" in proc.stdout, proc.stdout
