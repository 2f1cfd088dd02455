"""Topology 4 on Debian 13 with Valkey 8 (issue 16): the topology4 checks, unchanged, on the other
engine, plus what makes it Valkey: every server and Sentinel reports itself as valkey 8 and no
Redis package is on any host.
"""

from __future__ import annotations

from typing import Any

from hakit_testinfra import wait_until
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
from vip_checks import assert_invariant, fail_over_with_vip, vip_client, wait_vip_on

testinfra_hosts = ["node3"]

VIP = "172.28.13.100"
LAYOUT = dict(
    scenario="trixie_valkey",
    playbook="topology4",
    subnet_prefix="172.28.13",
    hosts=["node1", "node2", "node3"],
    redis_hosts=["node1", "node2"],
    sentinel_hosts=["node1", "node2", "node3"],
)
FAILOVER_BOUND_S = 60.0


def test_every_daemon_is_valkey_8(cluster: Cluster) -> None:
    for h in cluster.redis_hosts:
        info: dict[str, Any] = cluster.redis(h).info("server")
        assert info.get("server_name") == "valkey", (h, info.get("server_name"))
        assert str(info.get("valkey_version", "")).startswith("8."), (h, info.get("valkey_version"))
    for h in cluster.sentinel_hosts:
        info = cluster.sentinel(h).info("server")
        assert info.get("server_name") == "valkey", (h, info.get("server_name"))


def test_no_redis_package_and_valkey_runs_as_valkey(cluster: Cluster) -> None:
    for h in cluster.hosts:
        out = cluster.exec(h, "dpkg-query", "-W", "-f", "${Package} ${Status}\\n").stdout
        installed = {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}
        assert not {"redis-server", "redis-sentinel", "redis-tools"} & installed, (h, installed)
        # the daemons only: the VIP check's valkey-cli runs as keepalived_script
        ps = cluster.exec(h, "ps", "-eo", "user:20,comm").stdout
        daemons = [line.split() for line in ps.splitlines() if line.split()[-1] in ("valkey-server", "valkey-sentinel")]
        assert daemons and all(user == "valkey" for user, _ in daemons), (h, daemons)


def test_vip_on_master_only_and_writes_through_it_land_on_master(cluster: Cluster) -> None:
    wait_vip_on(cluster, VIP, cluster.master())
    assert_invariant(cluster, VIP)
    client = vip_client(cluster, VIP)
    assert client.set("hakit:molecule:through-vip", "1")
    assert cluster.redis(cluster.master()).get("hakit:molecule:through-vip") == "1"


def test_master_container_stop_moves_vip_and_reruns_are_clean(cluster: Cluster) -> None:
    fail_over_with_vip(cluster, VIP, FAILOVER_BOUND_S)
    wait_until(lambda: not cluster.problems(), 60, 0.5)
