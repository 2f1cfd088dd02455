"""What each lab host's exporter reports: `make lab EXPORTER=1` prints it after the health table.

Usage: python3 scripts/exporter_health.py INVENTORY. Reads the lab inventory (groups redis and
sentinel, redis_announce_ip), scrapes http://IP:9121/metrics (the local Redis, or the Sentinel on a
Sentinel-only host) and /scrape?target=redis://127.0.0.1:26379 (the local Sentinel), and, with a
VIP, reads each redis host's hakit_redis_vip_held file through `docker exec`. Exits 1 when a
target is not up or the VIP is not on exactly one host.
"""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request

import yaml

PORT = 9121
SENTINEL_TARGET = "redis://127.0.0.1:26379"
VIP_FILE = "/var/lib/prometheus/node-exporter/hakit_redis_vip.prom"
LINE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Prometheus text format -> (name, labels, value) for each sample."""
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            out.append((m["name"], dict(LABEL.findall(m["labels"] or "")), float(m["value"])))
    return out


def first(samples: list, name: str) -> tuple[dict[str, str], float] | None:
    return next(((labels, value) for n, labels, value in samples if n == name), None)


def scrape(ip: str, path: str) -> list:
    with urllib.request.urlopen(f"http://{ip}:{PORT}/{path}", timeout=10) as response:
        return parse(response.read().decode())


def redis_summary(samples: list) -> str:
    up = first(samples, "redis_up")
    info = first(samples, "redis_instance_info")
    role = info[0].get("role", "?") if info else "?"
    parts = [f"redis_up {up[1]:g}" if up else "redis_up missing", f"role {role}"]
    if role == "master":
        slaves = first(samples, "redis_connected_slaves")
        parts.append(f"connected_slaves {slaves[1]:g}" if slaves else "connected_slaves missing")
        parts += [
            f"{labels['slave_ip']} lag {value:g}s"
            for n, labels, value in samples
            if n == "redis_connected_slave_lag_seconds"
        ]
    else:
        link = first(samples, "redis_master_link_up")
        parts.append(f"master_link_up {link[1]:g} ({link[0].get('master_host')})" if link else "master_link_up missing")
    return ", ".join(parts)


def sentinel_summary(samples: list) -> str:
    up = first(samples, "redis_up")
    status = first(samples, "redis_sentinel_master_status")
    ckquorum = first(samples, "redis_sentinel_master_ckquorum_status")
    ok = first(samples, "redis_sentinel_master_ok_sentinels")
    return ", ".join(
        [
            f"redis_up {up[1]:g}" if up else "redis_up missing",
            f"master {status[0].get('master_address')} {status[0].get('master_status')}" if status else "no master",
            f"ckquorum {ckquorum[1]:g}" if ckquorum else "ckquorum missing",
            f"ok_sentinels {ok[1]:g}" if ok else "ok_sentinels missing",
        ]
    )


def main(inventory_path: str) -> int:
    with open(inventory_path) as f:
        inventory = yaml.safe_load(f)["all"]
    children = inventory.get("children", {})
    redis = children.get("redis", {}).get("hosts", {}) or {}
    sentinel = children.get("sentinel", {}).get("hosts", {}) or {}
    hosts = {**sentinel, **redis}
    vip = inventory.get("vars", {}).get("vip_address")
    failed, vip_holders = False, []
    for name in sorted(hosts):
        ip, container = hosts[name]["redis_announce_ip"], hosts[name]["ansible_host"]
        rows = []
        try:
            metrics = scrape(ip, "metrics")
            rows.append(("/metrics", redis_summary(metrics) if name in redis else sentinel_summary(metrics), metrics))
            if name in redis and name in sentinel:
                sent = scrape(ip, f"scrape?target={SENTINEL_TARGET}")
                rows.append(("/scrape (Sentinel)", sentinel_summary(sent), sent))
        except OSError as exc:
            rows.append(("/metrics", f"unreachable: {exc}", []))
        for endpoint, summary, samples in rows:
            up = first(samples, "redis_up")
            failed |= not (up and up[1] == 1)
            print(f"  {name:6} {ip}:{PORT} {endpoint:19} {summary}")
        if vip and name in redis:
            cat = ["docker", "exec", container, "cat", VIP_FILE]
            held = first(
                parse(subprocess.run(cat, capture_output=True, text=True, check=False).stdout), "hakit_redis_vip_held"
            )
            print(f"  {name:6} {VIP_FILE}: " + (f"hakit_redis_vip_held {held[1]:g}" if held else "missing"))
            if held and held[1] == 1:
                vip_holders.append(name)
    if vip and len(vip_holders) != 1:
        print(f"  VIP {vip} held by {vip_holders or 'no host'}: expected exactly one")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
