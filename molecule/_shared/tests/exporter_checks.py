"""What the exporter role's redis_exporter reports, read over the scenario's network (issue 17).

A scenario with ``exporter_enabled: true`` imports these tests: every redis node's /metrics shows
redis_up 1, its role and its replication state; every Sentinel (through /scrape?target=) shows
redis_up 1, the master the cluster has, CKQUORUM OK and all Sentinels.
"""

from __future__ import annotations

import re
import urllib.request

from sentinel_cluster import Cluster

PORT = 9121
SENTINEL_TARGET = "redis://127.0.0.1:26379"
_LINE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

Samples = list[tuple[str, dict[str, str], float]]


def scrape(ip: str, path: str) -> Samples:
    """The samples of http://IP:9121/PATH as (name, labels, value)."""
    with urllib.request.urlopen(f"http://{ip}:{PORT}/{path}", timeout=15) as response:
        text = response.read().decode()
    samples = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            samples.append((m["name"], dict(_LABEL.findall(m["labels"] or "")), float(m["value"])))
    return samples


def values(samples: Samples, name: str) -> list[tuple[dict[str, str], float]]:
    return [(labels, value) for n, labels, value in samples if n == name]


def test_exporter_reports_each_redis_node(cluster: Cluster) -> None:
    master = cluster.master()
    replicas = [h for h in cluster.redis_hosts if h != master]
    for host in cluster.redis_hosts:
        samples = scrape(cluster.ip(host), "metrics")
        assert values(samples, "redis_up") == [({}, 1.0)], host
        (info, _), *_ = values(samples, "redis_instance_info")
        assert info["role"] == ("master" if host == master else "slave"), host
        if host == master:
            assert values(samples, "redis_connected_slaves") == [({}, float(len(replicas)))]
            lagging = {labels["slave_ip"] for labels, _ in values(samples, "redis_connected_slave_lag_seconds")}
            assert lagging == {cluster.ip(r) for r in replicas}
        else:
            ((link, up),) = values(samples, "redis_master_link_up")
            assert (link["master_host"], up) == (cluster.ip(master), 1.0), host
            assert values(samples, "redis_slave_repl_offset"), host


def test_exporter_reports_each_sentinel(cluster: Cluster) -> None:
    master = cluster.master()
    for host in cluster.sentinel_hosts:
        samples = scrape(cluster.ip(host), f"scrape?target={SENTINEL_TARGET}")
        assert values(samples, "redis_up") == [({}, 1.0)], host
        ((status, _),) = values(samples, "redis_sentinel_master_status")
        assert (status["master_address"], status["master_status"]) == (f"{cluster.ip(master)}:6379", "ok"), host
        ((_, ckquorum),) = values(samples, "redis_sentinel_master_ckquorum_status")
        assert ckquorum == 1.0, host
        ((_, ok_sentinels),) = values(samples, "redis_sentinel_master_ok_sentinels")
        assert ok_sentinels == float(len(cluster.sentinel_hosts)), host
