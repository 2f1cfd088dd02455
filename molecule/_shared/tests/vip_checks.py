"""VIP helpers for the topology-4 scenarios: who holds the VIP, writes through it, link cuts.

Link cuts use blackhole routes inside the containers (NET_ADMIN), both directions, so only the
named pair stops talking; the controller keeps reaching every node on its own address.
"""

from __future__ import annotations

import time
from typing import Any

import redis
from hakit_testinfra import measure, wait_until
from sentinel_cluster import NO_RETRY, REDIS_PORT, Cluster, fail_over_and_rerun


def vip_holders(cluster: Cluster, vip: str) -> list[str]:
    """Redis hosts whose interfaces carry the VIP (stopped containers hold nothing)."""
    out = []
    for h in cluster.redis_hosts:
        if not cluster.running(h):
            continue
        res = cluster.exec(h, "ip", "-4", "-o", "addr", "show")
        if f" {vip}/" in res.stdout:
            out.append(h)
    return out


def vip_client(cluster: Cluster, vip: str) -> redis.Redis:
    return redis.Redis(
        host=vip,
        port=REDIS_PORT,
        password=cluster.password,
        socket_timeout=2,
        socket_connect_timeout=2,
        retry=NO_RETRY,
        **(cluster.tls or {}),
    )


def assert_invariant(cluster: Cluster, vip: str) -> None:
    """Exactly one master, every answering Sentinel names it, only it holds the VIP."""
    masters = [h for h in cluster.redis_hosts if cluster.running(h) and cluster.role(h) == "master"]
    assert len(masters) == 1, f"masters: {masters}"
    views = cluster.sentinel_views()
    assert set(views.values()) == {cluster.ip(masters[0])}, views
    assert vip_holders(cluster, vip) == masters, f"VIP on {vip_holders(cluster, vip)}, master {masters}"


def wait_vip_on(cluster: Cluster, vip: str, host: str, timeout: float = 60) -> float:
    start = time.monotonic()
    wait_until(lambda: vip_holders(cluster, vip) == [host], timeout, 0.2)
    return time.monotonic() - start


def write_through_vip_until_ok(cluster: Cluster, vip: str, timeout: float = 90) -> float:
    """Seconds until a write through the VIP succeeds (on a master)."""
    start = time.monotonic()

    def ok() -> bool:
        try:
            return bool(vip_client(cluster, vip).set("hakit:molecule:vip", str(time.time())))
        except redis.RedisError:
            return False

    wait_until(ok, timeout, 0.2)
    return time.monotonic() - start


def cut(cluster: Cluster, a: str, b: str) -> None:
    cluster.exec(a, "ip", "route", "replace", "blackhole", f"{cluster.ip(b)}/32", check=True)
    cluster.exec(b, "ip", "route", "replace", "blackhole", f"{cluster.ip(a)}/32", check=True)


def heal(cluster: Cluster, a: str, b: str) -> None:
    for x, y in ((a, b), (b, a)):
        if cluster.running(x):
            cluster.exec(x, "ip", "route", "del", "blackhole", f"{cluster.ip(y)}/32")


def observe(cluster: Cluster, seconds: float, check: Any) -> None:
    """Call check() every half second for `seconds` (bounded)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        check()
        time.sleep(0.5)


def fail_over_with_vip(cluster: Cluster, vip: str, bound_s: float) -> None:
    """The master's container stops: failover, writes through the VIP on the new master, re-run with
    the old master left out, rejoin as a replica without taking the VIP, re-run; changed=0 throughout."""

    def vip_follows(new: str) -> None:
        measure(f"{cluster.scenario}.vip_write_ok_after_failover", write_through_vip_until_ok(cluster, vip))
        wait_vip_on(cluster, vip, new)
        assert vip_client(cluster, vip).set("hakit:molecule:after-failover", "1")

    def vip_stays(new: str) -> None:
        # the old master came back as a replica and did not take the VIP
        wait_vip_on(cluster, vip, new)
        assert_invariant(cluster, vip)

    fail_over_and_rerun(
        cluster,
        "master_container_stop",
        cluster.stop_container,
        cluster.restore,
        bound_s,
        after_failover=vip_follows,
        after_rejoin=vip_stays,
    )
