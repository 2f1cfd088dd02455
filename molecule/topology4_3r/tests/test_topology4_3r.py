"""Topology 4 with 1 master + 2 replicas where systemd is PID 1 (VMs, bare metal): the daemons are
the Debian packages' units.

Converge, health, the VIP (issue 6), min-replicas-to-write's default for 1+2, and what only differs
under systemd: no supervisor, the units enabled and active as the redis user where they should be,
a killed daemon restarted by systemd (the units' Restart=) without a failover; then one failover on
node loss with the VIP, the re-run with the old master down (--limit), its rejoin and a full re-run.
"""

from __future__ import annotations

import pytest
from hakit_testinfra import measure, wait_until
from sentinel_cluster import (  # noqa: F401  (fixture and shared checks collected from here)
    SYSTEMD_UNITS,
    Cluster,
    test_ha_check_healthy,
    test_replication_link_up,
    test_sentinel_ckquorum,
    test_sentinels_agree_and_see_everything,
    test_write_on_master_read_on_every_replica,
)
from vip_checks import assert_invariant, fail_over_with_vip, vip_client, wait_vip_on

testinfra_hosts = ["node3"]

VIP = "172.28.5.100"
LAYOUT = dict(
    scenario="topology4_3r",
    playbook="topology4",
    subnet_prefix="172.28.5",
    hosts=["node1", "node2", "node3", "node4"],
    redis_hosts=["node1", "node2", "node4"],
    sentinel_hosts=["node1", "node2", "node3"],
)
FAILOVER_BOUND_S = 60.0


def units_of(cluster: Cluster, host: str) -> list[str]:
    units = []
    if host in cluster.redis_hosts:
        units += ["redis-server", "keepalived"]
    if host in cluster.sentinel_hosts:
        units.append("redis-sentinel")
    return units


def main_pid(cluster: Cluster, host: str, unit: str) -> str:
    return cluster.exec(host, "systemctl", "show", "-p", "MainPID", "--value", unit).stdout.strip()


def test_systemd_is_pid1_and_no_supervisor(cluster: Cluster) -> None:
    for host in cluster.hosts:
        assert cluster.systemd(host), f"{host}: PID 1 is not systemd"
        dpkg = cluster.exec(host, "dpkg-query", "-W", "-f=${Status}", "supervisor")
        assert "install ok installed" not in dpkg.stdout, f"{host}: supervisor installed under systemd"


@pytest.mark.parametrize("node", ["node1", "node2", "node3", "node4"])
def test_units_enabled_active_and_right_user(cluster: Cluster, node: str) -> None:
    for unit in units_of(cluster, node):
        assert cluster.exec(node, "systemctl", "is-enabled", unit).stdout.strip() == "enabled", (node, unit)
        assert cluster.exec(node, "systemctl", "is-active", unit).stdout.strip() == "active", (node, unit)
        pid = main_pid(cluster, node, unit)
        user = cluster.exec(node, "ps", "-o", "user=", "-p", pid).stdout.strip()
        assert user == ("root" if unit == "keepalived" else "redis"), (node, unit, user)
    # A redis host without a Sentinel (node4) and a Sentinel without Redis (node3) run nothing else,
    # not even a package's daemon on Debian's default configuration.
    for unit in sorted(set(SYSTEMD_UNITS) - set(units_of(cluster, node))):
        assert cluster.exec(node, "systemctl", "is-active", unit).stdout.strip() != "active", (node, unit)


def test_vip_on_master_only_and_writes_land_on_master(cluster: Cluster) -> None:
    wait_vip_on(cluster, VIP, cluster.master())
    assert_invariant(cluster, VIP)
    assert vip_client(cluster, VIP).set("hakit:molecule:systemd-vip", "1")
    assert cluster.redis(cluster.master()).get("hakit:molecule:systemd-vip") == "1"


def test_min_replicas_to_write_defaults_to_one(cluster: Cluster) -> None:
    assert cluster.redis(cluster.master()).config_get("min-replicas-to-write") == {"min-replicas-to-write": "1"}


@pytest.mark.parametrize("unit", ["redis-server", "redis-sentinel", "keepalived"])
def test_kill9_on_master_is_restarted_by_systemd(cluster: Cluster, unit: str) -> None:
    master = cluster.master()
    key = f"hakit:molecule:systemd-kill-{unit}"
    cluster.redis(master).set(key, "1")
    cluster.redis(master).execute_command("WAIT", 1, 2000)
    before = main_pid(cluster, master, unit)
    try:
        cluster.exec(master, "kill", "-9", before, check=True)
        seconds = wait_until(
            lambda: (
                main_pid(cluster, master, unit) not in ("", "0", before)
                and cluster.exec(master, "systemctl", "is-active", unit).stdout.strip() == "active"
            ),
            60,
            0.1,
        )
        measure(f"topology4_3r.{unit}_kill_to_restart", seconds)
        cluster.wait_healthy()
        assert cluster.master() == master, f"kill -9 of {unit} caused a failover"
        wait_vip_on(cluster, VIP, master)
        assert cluster.redis(master).get(key) == "1"
        assert_invariant(cluster, VIP)
    finally:
        cluster.restore_all()


def test_master_node_stop_fails_over_and_rerun_changes_nothing(cluster: Cluster) -> None:
    fail_over_with_vip(cluster, VIP, FAILOVER_BOUND_S)
    wait_vip_on(cluster, VIP, cluster.master())
    assert_invariant(cluster, VIP)
