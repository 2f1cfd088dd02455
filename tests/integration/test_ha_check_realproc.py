"""hakit.redis.ha_check against real redis-server / redis-sentinel processes on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _lab import PASSWORD, Cluster, Lab, module_params, run_ansible, wait_for

from ansible_collections.hakit.redis.plugins.modules import ha_check


def check(**params: Any) -> dict[str, Any]:
    """Run the module's logic in-process (same code path as main(), minus AnsibleModule)."""
    return ha_check.run_check(module_params(**params))


def test_healthy_through_ansible(healthy_cluster: Cluster, tmp_path: Path) -> None:
    result = run_ansible(
        tmp_path,
        {
            "sentinels": healthy_cluster.sentinels,
            "redis_password": PASSWORD,
            "max_lag_bytes": 1048576,
            "max_lag_seconds": 15,
            "expected_master": healthy_cluster.master,
        },
    )
    assert result["rc"] == 0, result["raw_output"]
    assert result["healthy"] is True
    assert result["changed"] is False
    assert result["problems"] == []
    assert result["master"]["host"] == "127.0.0.1"
    assert result["master"]["port"] == healthy_cluster.master_port
    assert result["master"]["role_confirmed"] is True
    assert result["master"]["connected_replicas"] == 1
    assert [(r["port"], r["link_status"]) for r in result["replicas"]] == [(healthy_cluster.replica_port, "up")]
    assert result["quorum"] == {"configured": 2, "reachable": 3, "total": 3, "ok": True}
    assert all(
        s["ckquorum_ok"] and s["master"] == healthy_cluster.master and s["num_other_sentinels"] == 2
        for s in result["sentinels"]
    )
    # The password never reaches the output.
    assert PASSWORD not in result["raw_output"]


def test_check_mode_runs_the_check(healthy_cluster: Cluster, tmp_path: Path) -> None:
    result = run_ansible(
        tmp_path, {"sentinels": healthy_cluster.sentinels, "redis_password": PASSWORD}, flags=("--check",)
    )
    assert result["rc"] == 0, result["raw_output"]
    assert not result.get("skipped")
    assert result["healthy"] is True
    assert result["changed"] is False


def test_one_sentinel_down_quorum_held(cluster: Cluster, lab: Lab) -> None:
    lab.kill("sentinel2")
    result = check(sentinels=cluster.sentinels)
    assert result["healthy"] is False
    assert result["problems"] == [f"sentinel {cluster.sentinels[2]} unreachable"]
    assert result["quorum"] == {"configured": 2, "reachable": 2, "total": 3, "ok": True}
    assert result["sentinels"][2]["reachable"] is False
    assert "unreachable" in result["sentinels"][2]["error"]
    assert result["master"]["role_confirmed"] is True


def test_quorum_lost(cluster: Cluster, lab: Lab) -> None:
    lab.kill("sentinel1")
    lab.kill("sentinel2")
    result = check(sentinels=cluster.sentinels)
    assert result["healthy"] is False
    assert "quorum 2 not reachable: 1 of 3 sentinels up" in result["problems"]
    assert result["quorum"] == {"configured": 2, "reachable": 1, "total": 3, "ok": False}
    # Once the survivor has marked its peers down (down-after 1 s) its own CKQUORUM agrees.
    survivor = lab.client(cluster.sentinel_ports[0], password=None)
    wait_for("survivor to mark peers down", lambda: _ckquorum_fails(survivor), timeout=10)
    result = check(sentinels=cluster.sentinels)
    assert result["sentinels"][0]["ckquorum_ok"] is False
    assert "NOQUORUM" in result["sentinels"][0]["ckquorum_message"]


def _ckquorum_fails(client: Any) -> bool:
    import redis

    try:
        client.execute_command("SENTINEL", "CKQUORUM", "mymaster")
    except redis.ResponseError:
        return True
    return False


def test_replica_down(cluster: Cluster, lab: Lab) -> None:
    lab.kill("replica")
    result = check(sentinels=cluster.sentinels)
    assert result["healthy"] is False
    # The master forgets a dead replica at once; the Sentinels remember it, which is how it is found.
    assert f"replica {cluster.replica} unreachable" in result["problems"]
    assert "0 healthy replicas, min_replicas is 1" in result["problems"]
    assert result["replicas"][0]["link_status"] == "unreachable"


def test_replica_link_down(cluster: Cluster, lab: Lab) -> None:
    replica = lab.client(cluster.replica_port)
    replica.config_set("masterauth", "wrong")
    replica.execute_command("CLIENT", "KILL", "TYPE", "master")
    wait_for("link down", lambda: replica.info("replication")["master_link_status"] == "down", timeout=10)
    result = check(sentinels=cluster.sentinels)
    assert f"replica {cluster.replica} link down" in result["problems"]
    assert result["replicas"][0]["link_status"] == "down"


def test_replica_lagging_bytes(cluster: Cluster, lab: Lab) -> None:
    replica = lab.client(cluster.replica_port)
    master = lab.client(cluster.master_port)
    # CLIENT PAUSE WRITE holds the replication stream on the replica while INFO still answers.
    replica.execute_command("CLIENT", "PAUSE", "5000", "WRITE")
    try:
        for i in range(50):
            master.set(f"k{i}", "x" * 100)
        result = wait_for(
            "lag visible", lambda: _lagging(check(sentinels=cluster.sentinels, max_lag_bytes=1000)), timeout=4
        )
    finally:
        replica.execute_command("CLIENT", "UNPAUSE")
    lag = result["replicas"][0]["offset_lag_bytes"]
    assert lag > 1000
    assert f"replica {cluster.replica} lags {lag} bytes behind the master (max 1000)" in result["problems"]
    assert result["replicas"][0]["link_status"] == "up"
    # Caught up again once unpaused.
    wait_for("catch up", lambda: check(sentinels=cluster.sentinels, max_lag_bytes=1000)["healthy"], timeout=10)


def _lagging(result: dict[str, Any]) -> dict[str, Any] | None:
    return result if any("lags" in p for p in result["problems"]) else None


def test_replica_lagging_seconds(lab: Lab) -> None:
    # Sentinels publish hellos through the master every 2 s, which would reset the replica's last
    # I/O; a Sentinel-less pair with a slow ping period lets the silence grow.
    port = lab.base
    lab.redis("master", port, extra="repl-ping-replica-period 60")
    lab.redis("replica", port + 1, replicaof=port)
    replica = lab.client(port + 1)
    wait_for("link up", lambda: replica.info("replication")["master_link_status"] == "up")
    wait_for("silence", lambda: replica.info("replication")["master_last_io_seconds_ago"] >= 3, timeout=10)
    result = check(redis=[f"127.0.0.1:{port}", f"127.0.0.1:{port + 1}"], max_lag_seconds=2)
    last_io = result["replicas"][0]["last_io_seconds"]
    assert last_io >= 3
    assert result["problems"] == [
        f"replica 127.0.0.1:{port + 1} last heard from the master {last_io} s ago (max 2)",
        "0 healthy replicas, min_replicas is 1",
    ]


def test_wrong_password_is_a_clear_error(healthy_cluster: Cluster, tmp_path: Path) -> None:
    result = run_ansible(tmp_path, {"sentinels": healthy_cluster.sentinels, "redis_password": "wrong"})
    assert result["rc"] != 0
    assert result["failed"] is True
    assert f"master {healthy_cluster.master}: authentication failed (check redis_password)" in result["msg"]
    assert "Traceback" not in result["raw_output"]
    assert result["quorum"]["ok"] is True  # the Sentinels themselves answered


def test_nothing_listening_is_a_clear_error(lab: Lab, tmp_path: Path) -> None:
    closed = [f"127.0.0.1:{lab.base + i}" for i in range(3)]
    result = run_ansible(tmp_path, {"sentinels": closed, "redis_password": PASSWORD, "timeout": 1})
    assert result["rc"] != 0
    assert result["msg"].startswith("Redis HA unhealthy: ")
    for address in closed:
        assert f"sentinel {address} unreachable" in result["problems"]
    assert "no master known: no reachable sentinel names a master for mymaster" in result["problems"]
    assert "Traceback" not in result["raw_output"]


def test_nothing_listening_standalone(lab: Lab) -> None:
    result = check(redis=[f"127.0.0.1:{lab.base}"], min_replicas=0)
    assert result["problems"] == [
        f"redis 127.0.0.1:{lab.base} unreachable",
        "no master known: no redis node answers as master",
    ]


def test_sentinels_disagree(lab: Lab) -> None:
    base = lab.base
    lab.redis("master", base)
    lab.redis("replica", base + 1, replicaof=base)
    lab.redis("other", base + 2)  # an unrelated standalone master
    lab.sentinel("sentinel0", base + 10, base)
    lab.sentinel("sentinel1", base + 11, base)
    lab.sentinel("sentinel2", base + 12, base + 2, quorum=1)
    sentinels = [f"127.0.0.1:{base + i}" for i in (10, 11, 12)]
    result = check(sentinels=sentinels)
    expected = (
        f"sentinels disagree on master: 127.0.0.1:{base} (127.0.0.1:{base + 10}, 127.0.0.1:{base + 11}), "
        f"127.0.0.1:{base + 2} (127.0.0.1:{base + 12})"
    )
    assert expected in result["problems"]
    assert result["master"]["port"] == base  # the majority view is the one checked
    assert result["sentinels"][2]["master"] == f"127.0.0.1:{base + 2}"
    assert result["healthy"] is False


def test_vip_answers_as_replica(lab: Lab) -> None:
    # Same port on two loopback addresses stands in for "the VIP sits on the replica's node".
    port = lab.base
    lab.redis("master", port, bind="127.0.0.1")
    lab.redis("replica", port, bind="127.0.0.2", replicaof=port, master_host="127.0.0.1")
    replica = lab.client(port, host="127.0.0.2")
    wait_for("link up", lambda: replica.info("replication")["master_link_status"] == "up")
    nodes = [f"127.0.0.1:{port}", f"127.0.0.2:{port}"]
    good = check(redis=nodes, vip="127.0.0.1")
    assert good["vip"] == {"address": "127.0.0.1", "holder_role": "master", "ok": True}
    assert good["healthy"] is True, good["problems"]
    bad = check(redis=nodes, vip="127.0.0.2")
    assert bad["vip"] == {"address": "127.0.0.2", "holder_role": "replica", "ok": False}
    assert bad["problems"] == ["VIP 127.0.0.2 answers as replica"]
    gone = check(redis=nodes, vip="127.0.0.3", timeout=1)
    assert gone["problems"] == ["VIP 127.0.0.3 unreachable"]


# healthy_cluster's redis_binaries installs python3-redis with the servers (a collection-time skipif
# would skip this on a fresh machine, before the fixture installs it).
def test_debian_python3_redis(healthy_cluster: Cluster, tmp_path: Path) -> None:
    """Managed hosts run the module with the distro's python3-redis (4.x on bookworm), not the venv's."""
    result = run_ansible(
        tmp_path, {"sentinels": healthy_cluster.sentinels, "redis_password": PASSWORD}, python="/usr/bin/python3"
    )
    assert result["rc"] == 0, result["raw_output"]
    assert result["healthy"] is True
