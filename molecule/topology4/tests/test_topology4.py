"""Topology 4 (three Sentinels + VIP): issue 6 item 3.

After every step the invariant holds: exactly one node says role:master, every Sentinel names it,
only it holds the VIP. Each test restores what it broke (containers, programs, routes).
"""

from __future__ import annotations

from hakit_testinfra import measure, wait_until
from security_checks import (  # noqa: F401  (collected from here)
    test_app_user_reads_and_writes_but_administers_nothing,
    test_check_user_only_reads_state,
    test_no_cleartext_password_in_the_daemons_files,
    test_nothing_without_a_login,
)
from sentinel_cluster import (  # noqa: F401  (fixture and shared checks collected from here)
    Cluster,
    test_ha_check_healthy,
    test_replication_link_up,
    test_sentinel_ckquorum,
    test_sentinels_agree_and_see_everything,
    test_write_on_master_read_on_every_replica,
)
from vip_checks import (
    assert_invariant,
    cut,
    fail_over_with_vip,
    heal,
    observe,
    vip_client,
    vip_holders,
    wait_vip_on,
)

# ha_check runs on the Sentinel-only node.
testinfra_hosts = ["node3"]

VIP = "172.28.4.100"
LAYOUT = dict(
    scenario="topology4",
    playbook="topology4",
    subnet_prefix="172.28.4",
    hosts=["node1", "node2", "node3"],
    redis_hosts=["node1", "node2"],
    sentinel_hosts=["node1", "node2", "node3"],
)
FAILOVER_BOUND_S = 60.0


def fenced(cluster: Cluster, host: str) -> bool:
    """The fence watchdog's mark on a master: min-replicas-to-write set out of reach."""
    return cluster.redis(host).config_get("min-replicas-to-write")["min-replicas-to-write"] == "1000000"


def test_fence_watchdog_runs_on_every_redis_host(cluster: Cluster) -> None:
    for host in cluster.redis_hosts:
        status = cluster.exec(host, "supervisorctl", "status", "hakit-redis-fence").stdout
        assert "RUNNING" in status, f"hakit-redis-fence on {host}: {status}"
        assert not fenced(cluster, host), f"{host} is fenced in a healthy cluster"


def test_vip_on_master_only_and_writes_through_it_land_on_master(cluster: Cluster) -> None:
    wait_vip_on(cluster, VIP, cluster.master())
    assert_invariant(cluster, VIP)
    client = vip_client(cluster, VIP)
    assert client.set("hakit:molecule:through-vip", "1")
    assert cluster.redis(cluster.master()).get("hakit:molecule:through-vip") == "1"
    assert client.execute_command("ROLE")[0] in ("master", b"master")


def test_keepalived_killed_on_holder_is_restarted_and_vip_stays(cluster: Cluster) -> None:
    master = cluster.master()
    before = cluster.exec(master, "supervisorctl", "pid", "keepalived").stdout.strip()
    try:
        cluster.exec(master, "pkill", "-9", "-x", "keepalived", check=True)
        seconds = wait_until(
            lambda: cluster.exec(master, "supervisorctl", "pid", "keepalived").stdout.strip() not in ("", "0", before),
            60,
            0.2,
        )
        measure("topology4.keepalived_kill_to_restart", seconds)
        wait_vip_on(cluster, VIP, master)
        assert cluster.master() == master
        assert_invariant(cluster, VIP)
    finally:
        cluster.restore_all()


def test_keepalived_starts_despite_a_stale_pid_file(cluster: Cluster) -> None:
    # After a crash /run may keep keepalived's pid files (containers: no tmpfs); once their pid is
    # reused by another process keepalived would refuse to start ("already running") for good.
    master = cluster.master()
    (backup,) = [h for h in cluster.redis_hosts if h != master]
    try:
        cluster.exec(backup, "supervisorctl", "stop", "keepalived", check=True)
        # PID 1 (docker-init) is alive and is no keepalived
        cluster.exec(backup, "sh", "-c", "echo 1 > /run/vrrp.pid && echo 1 > /run/keepalived.pid", check=True)
        cluster.exec(backup, "supervisorctl", "start", "keepalived", check=True)
        wait_until(lambda: "RUNNING" in cluster.exec(backup, "supervisorctl", "status", "keepalived").stdout, 30, 0.5)
        wait_vip_on(cluster, VIP, master)
        assert_invariant(cluster, VIP)
    finally:
        cluster.restore_all()


def test_redis_link_cut_between_the_redis_nodes_no_failover(cluster: Cluster) -> None:
    master = cluster.master()
    (replica,) = [h for h in cluster.redis_hosts if h != master]
    try:
        cut(cluster, master, replica)

        def same() -> None:
            # the Sentinel-only node still sees the master: 1 Sentinel < quorum 2, no failover
            assert cluster.sentinel_master_addr("node3") == cluster.ip(master)
            assert cluster.role(master) == "master"
            assert replica not in vip_holders(cluster, VIP)

        observe(cluster, 3 * cluster.down_after_s, same)
    finally:
        heal(cluster, master, replica)
        cluster.restore_all()
    assert cluster.master() == master
    assert_invariant(cluster, VIP)


def test_isolated_master_releases_the_vip(cluster: Cluster) -> None:
    old = cluster.master()
    others = [h for h in cluster.hosts if h != old]
    try:
        for h in others:
            cut(cluster, old, h)
        # the majority side promotes the replica; the old master's Sentinel loses its quorum, so its
        # check fails and keepalived releases the VIP there
        (replica,) = [h for h in cluster.redis_hosts if h != old]
        # redis_fencing: sentinels (molecule.yml): the isolated master refuses writes once it has lost
        # the majority of the Sentinels, before the promotion
        wait_until(lambda: fenced(cluster, old), FAILOVER_BOUND_S, 0.2)
        wait_until(lambda: cluster.sentinel_master_addr("node3") == cluster.ip(replica), FAILOVER_BOUND_S, 0.2)
        seconds = wait_until(lambda: old not in vip_holders(cluster, VIP), 60, 0.2)
        measure("topology4.isolated_master_vip_released_after_promotion", seconds)
        wait_vip_on(cluster, VIP, replica)
    finally:
        for h in others:
            heal(cluster, old, h)
        cluster.restore_all()
    # healed: the old master is demoted by the Sentinels and the VIP stays with the new master
    wait_until(lambda: cluster.role(old) == "slave", 60, 0.5)
    assert_invariant(cluster, VIP)


def test_master_container_stop_moves_vip_and_reruns_are_clean(cluster: Cluster) -> None:
    fail_over_with_vip(cluster, VIP, FAILOVER_BOUND_S)
