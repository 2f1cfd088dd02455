"""Valkey under systemd on Debian 13 (issue 16): the daemons are Debian's valkey-server,
valkey-sentinel and keepalived units. The shared health checks, then the day-2 playbooks on those
units: hakit.redis.rolling_restart restarts every one of them (the master moved once, no data
lost), hakit.redis.remove_node stops and disables them on the node it takes out.
"""

from __future__ import annotations

from hakit_testinfra import wait_until
from sentinel_cluster import (  # noqa: F401  (fixture and shared checks collected from here)
    Cluster,
    test_ha_check_healthy,
    test_replication_link_up,
    test_sentinel_ckquorum,
    test_sentinels_agree_and_see_everything,
    test_write_on_master_read_on_every_replica,
)
from vip_checks import assert_invariant, vip_client, wait_vip_on

testinfra_hosts = ["node3"]

VIP = "172.28.16.100"
LAYOUT = dict(
    scenario="trixie_valkey_systemd",
    playbook="topology4",
    subnet_prefix="172.28.16",
    hosts=["node1", "node2", "node3"],
    redis_hosts=["node1", "node2"],
    sentinel_hosts=["node1", "node2", "node3"],
)


def units_of(cluster: Cluster, host: str) -> list[str]:
    units = []
    if host in cluster.redis_hosts:
        units += ["valkey-server", "keepalived"]
    if host in cluster.sentinel_hosts:
        units.append("valkey-sentinel")
    return units


def unit_state(cluster: Cluster, host: str, unit: str) -> tuple[str, str]:
    """(is-active, is-enabled) of a unit."""
    active = cluster.exec(host, "systemctl", "is-active", unit).stdout.strip()
    return active, cluster.exec(host, "systemctl", "is-enabled", unit).stdout.strip()


def main_pid(cluster: Cluster, host: str, unit: str) -> str:
    return cluster.exec(host, "systemctl", "show", "-p", "MainPID", "--value", unit).stdout.strip()


def test_valkey_units_run_under_systemd(cluster: Cluster) -> None:
    for host in cluster.hosts:
        assert cluster.systemd(host), f"{host}: PID 1 is not systemd"
        dpkg = cluster.exec(host, "dpkg-query", "-W", "-f=${Status}", "supervisor")
        assert "install ok installed" not in dpkg.stdout, f"{host}: supervisor installed under systemd"
        for unit in units_of(cluster, host):
            assert unit_state(cluster, host, unit) == ("active", "enabled"), (host, unit)
            user = cluster.exec(host, "ps", "-o", "user=", "-p", main_pid(cluster, host, unit)).stdout.strip()
            assert user == ("root" if unit == "keepalived" else "valkey"), (host, unit, user)
        for unit in ("redis-server", "redis-sentinel"):
            assert unit_state(cluster, host, unit)[0] != "active", (host, unit)


def test_rolling_restart_restarts_every_valkey_unit(cluster: Cluster) -> None:
    old = cluster.master()
    wait_vip_on(cluster, VIP, old)
    key = "hakit:molecule:rolling-restart"
    assert vip_client(cluster, VIP).set(key, "1")
    cluster.redis(old).execute_command("WAIT", 1, 2000)
    pids = {(h, u): main_pid(cluster, h, u) for h in cluster.hosts for u in units_of(cluster, h)}
    assert all(p not in ("", "0") for p in pids.values()), pids

    # Before issue 16's fix the run stopped at its first restart: systemctl knows no redis-server here.
    cluster.run_playbook("rolling_restart", playbook="rolling_restart")

    cluster.wait_healthy()
    new = cluster.master()
    assert new != old, "the master should have moved off its node before the node restarted"
    for (host, unit), before in pids.items():
        after = main_pid(cluster, host, unit)
        assert after not in ("", "0", before), f"{unit} on {host} was not restarted (MainPID {before} -> {after})"
        assert unit_state(cluster, host, unit) == ("active", "enabled"), (host, unit)
    wait_vip_on(cluster, VIP, new)
    assert_invariant(cluster, VIP)
    assert cluster.redis(new).get(key) == "1"


def test_remove_node_stops_and_disables_its_valkey_units(cluster: Cluster) -> None:
    """The replica goes (replace=true: it leaves the master without a replica and two Sentinels,
    as when a dead node's replacement is added next). Last test: the scenario is destroyed after it."""
    master = cluster.master()
    gone = next(h for h in cluster.redis_hosts if h != master)
    cluster.run_playbook("remove_node", playbook="remove_node", extra={"node": gone, "replace": True})
    for unit in units_of(cluster, gone):
        assert unit_state(cluster, gone, unit) == ("inactive", "disabled"), (gone, unit)
    assert cluster.role(master) == "master"
    left = [s for s in cluster.sentinel_hosts if s != gone]

    def forgotten() -> bool:
        return all(
            int(cluster.sentinel_master(s)["num-slaves"]) == 0
            and int(cluster.sentinel_master(s)["num-other-sentinels"]) == len(left) - 1
            and cluster.sentinel_master_addr(s) == cluster.ip(master)
            for s in left
        )

    wait_until(forgotten, 30, 0.5)
