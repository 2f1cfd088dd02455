"""Topology 4 with redis_tls and client certificates required (issue 15).

The shared checks run unchanged through TLS (the controller's clients carry the lab CA and a client
certificate), then what TLS itself promises: plaintext and foreign-CA clients are refused, and
openssl sees each server's certificate chain to the lab CA.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import tempfile
from pathlib import Path

import pytest
import redis
from hakit_certs import make_ca, make_cert, write_set
from sentinel_cluster import (  # noqa: F401  (fixture and shared checks collected from here)
    REDIS_PORT,
    SENTINEL_PORT,
    Cluster,
    test_ha_check_healthy,
    test_replication_link_up,
    test_sentinel_ckquorum,
    test_sentinels_agree_and_see_everything,
    test_write_on_master_read_on_every_replica,
)
from vip_checks import assert_invariant, fail_over_with_vip, vip_client, wait_vip_on

# ha_check runs on the Sentinel-only node.
testinfra_hosts = ["node3"]

VIP = "172.28.12.100"
CERTS = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "tls"
LAYOUT = dict(
    scenario="tls",
    playbook="topology4",
    subnet_prefix="172.28.12",
    hosts=["node1", "node2", "node3"],
    redis_hosts=["node1", "node2"],
    sentinel_hosts=["node1", "node2", "node3"],
    # node3's certificate doubles as the tests' client certificate (any certificate of the CA does)
    tls={
        "ssl": True,
        "ssl_ca_certs": str(CERTS / "ca.crt"),
        "ssl_certfile": str(CERTS / "node3.crt"),
        "ssl_keyfile": str(CERTS / "node3.key"),
        "ssl_check_hostname": False,
    },
)
FAILOVER_BOUND_S = 60.0
PORTS = (REDIS_PORT, SENTINEL_PORT)


def test_vip_check_passes_through_tls_and_writes_land_on_master(cluster: Cluster) -> None:
    wait_vip_on(cluster, VIP, cluster.master())
    assert_invariant(cluster, VIP)
    assert vip_client(cluster, VIP).set("hakit:molecule:through-vip", "1")
    assert cluster.redis(cluster.master()).get("hakit:molecule:through-vip") == "1"


def test_replication_runs_over_tls(cluster: Cluster) -> None:
    master = cluster.master()
    conf = cluster.exec(master, "cat", "/etc/redis/redis.conf", check=True).stdout
    assert "\nport 0\n" in conf and "\ntls-port 6379\n" in conf and "\ntls-replication yes\n" in conf
    key = cluster.exec(master, "stat", "-c", "%a %U", "/etc/redis/tls/node.key", check=True).stdout.split()
    assert key == ["600", "redis"]


@pytest.mark.parametrize("port", PORTS)
def test_a_plaintext_client_is_refused(cluster: Cluster, port: int) -> None:
    client = redis.Redis(host=cluster.ip("node1"), port=port, socket_timeout=2, socket_connect_timeout=2)
    with pytest.raises((redis.ConnectionError, redis.TimeoutError)):
        client.ping()


@pytest.mark.parametrize("port", PORTS)
def test_a_client_without_a_certificate_or_from_another_ca_is_refused(cluster: Cluster, port: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        other_ca = make_ca("not the cluster's CA")
        foreign = write_set(Path(tmp), "intruder", other_ca, make_cert(other_ca, "intruder", ips=["172.28.12.1"]))
        base = {"ssl": True, "ssl_ca_certs": str(CERTS / "ca.crt"), "ssl_check_hostname": False}
        for extra in ({}, {"ssl_certfile": foreign["cert"], "ssl_keyfile": foreign["key"]}):
            client = redis.Redis(
                host=cluster.ip("node1"), port=port, socket_timeout=2, socket_connect_timeout=2, **base, **extra
            )
            with pytest.raises((redis.ConnectionError, redis.TimeoutError, ssl.SSLError, OSError)):
                client.ping()


@pytest.mark.parametrize("port", PORTS)
def test_openssl_sees_the_chain_to_the_lab_ca(cluster: Cluster, port: int) -> None:
    for host in cluster.sentinel_hosts if port == SENTINEL_PORT else cluster.redis_hosts:
        out = subprocess.run(
            ["openssl", "s_client", "-connect", f"{cluster.ip(host)}:{port}", "-CAfile", str(CERTS / "ca.crt"),
             "-cert", str(CERTS / "node3.crt"), "-key", str(CERTS / "node3.key"), "-showcerts"],
            input="", capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
        text = out.stdout + out.stderr
        assert "Verify return code: 0 (ok)" in text, text[-2000:]
        assert f"CN = {host}" in text and "CN = hakit.redis lab CA" in text, text[-2000:]


def test_a_plain_tcp_handshake_gets_no_redis_answer(cluster: Cluster) -> None:
    # What an unaware client sees: no +PONG, the TLS server drops the connection.
    with socket.create_connection((cluster.ip("node1"), REDIS_PORT), timeout=2) as sock:
        sock.sendall(b"PING\r\n")
        try:
            data = sock.recv(64)
        except (ConnectionResetError, TimeoutError):
            data = b""
    assert b"PONG" not in data


def test_master_container_stop_moves_vip_and_reruns_are_clean(cluster: Cluster) -> None:
    # Failover and the old master's rejoin over TLS, re-runs with changed=0 (shared sequence).
    fail_over_with_vip(cluster, VIP, FAILOVER_BOUND_S)
