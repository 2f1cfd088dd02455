"""Shared helpers for the Sentinel scenarios: the cluster fixture, read-only checks, timed
failovers and the re-run-after-failover sequence.

Importable from every scenario because the verifier puts molecule/_shared/tests on PYTHONPATH
(.config/molecule/config.yml). A test module defines ``LAYOUT = dict(...)`` (the Cluster fields),
then imports the ``cluster`` fixture and the ``test_*`` functions it wants from here. Everything
talks from the controller to the containers' own addresses on the scenario network (redis-py),
drives the containers with ``docker``, or runs the user's playbook on molecule's inventory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from hakit_support import docker, parse_recap
from hakit_testinfra import measure, wait_until
from redis.backoff import NoBackoff
from redis.retry import Retry

MASTER_NAME = "mymaster"
# redis-py 6+ retries every command 3 times with exponential backoff by default: each poll of a
# stopped node would then take seconds and the measured failover would be the client's, not
# Sentinel's (topology 4 measured 30-44 s that way; Sentinel's own log showed ~6 s).
NO_RETRY = Retry(NoBackoff(), 0)
REDIS_PORT = 6379
SENTINEL_PORT = 26379
PLAYBOOK_TIMEOUT_S = 1500
# The TLS files the roles put on every host (redis_tls), as hakit.redis module options.
HOST_TLS = {
    "tls": True,
    "tls_ca_file": "/etc/redis/tls/ca.crt",
    "tls_cert_file": "/etc/redis/tls/node.crt",
    "tls_key_file": "/etc/redis/tls/node.key",
}
# The Debian packages' units the roles use where systemd is PID 1.
SYSTEMD_UNITS = ("redis-server", "redis-sentinel", "valkey-server", "valkey-sentinel", "keepalived")


def _flat_to_dict(reply: Any) -> dict[str, Any]:
    # redis-py parses SENTINEL MASTER/REPLICAS into dicts itself (versions differ); else a flat list.
    if isinstance(reply, dict):
        return reply
    return {str(reply[i]): reply[i + 1] for i in range(0, len(reply) - 1, 2)}


@dataclass
class Cluster:
    """One scenario's layout: inventory host -> address, and which hosts run what."""

    scenario: str
    playbook: str
    subnet_prefix: str
    hosts: list[str]
    redis_hosts: list[str]
    sentinel_hosts: list[str]
    password: str = ""
    # The Sentinels' default (admin) user's password (sentinel_password).
    sentinel_password: str = ""
    down_after_s: float = 5.0
    # redis_tls scenarios: redis-py TLS arguments for the controller's clients (ssl=True,
    # ssl_ca_certs, ...); None = plaintext. ha_check on the hosts then uses the hosts' own files.
    tls: dict[str, Any] | None = None
    last_output: str = ""
    _clients: dict[tuple[str, int], redis.Redis] = field(default_factory=dict)

    # --- addresses -------------------------------------------------------------------------
    def ip(self, host: str) -> str:
        return f"{self.subnet_prefix}.{11 + self.hosts.index(host)}"

    def host_of(self, ip: str) -> str:
        for h in self.hosts:
            if self.ip(h) == ip:
                return h
        raise AssertionError(f"{ip} is no host of {self.scenario}")

    def container(self, host: str) -> str:
        return f"hakit-{self.scenario}-{host}"

    # --- clients ---------------------------------------------------------------------------
    def redis(self, host: str) -> redis.Redis:
        key = (host, REDIS_PORT)
        if key not in self._clients:
            self._clients[key] = redis.Redis(
                host=self.ip(host),
                port=REDIS_PORT,
                password=self.password,
                socket_timeout=1,
                socket_connect_timeout=1,
                retry=NO_RETRY,
                decode_responses=True,
                **(self.tls or {}),
            )
        return self._clients[key]

    def sentinel(self, host: str) -> redis.Redis:
        key = (host, SENTINEL_PORT)
        if key not in self._clients:
            self._clients[key] = redis.Redis(
                host=self.ip(host),
                port=SENTINEL_PORT,
                password=self.sentinel_password or None,
                socket_timeout=1,
                socket_connect_timeout=1,
                retry=NO_RETRY,
                decode_responses=True,
                **(self.tls or {}),
            )
        return self._clients[key]

    def role(self, host: str) -> str:
        return str(self.redis(host).info("replication")["role"])

    def replication(self, host: str) -> dict[str, Any]:
        return self.redis(host).info("replication")

    def sentinel_master_addr(self, host: str) -> str | None:
        reply = self.sentinel(host).execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
        return str(reply[0]) if reply else None

    def sentinel_master(self, host: str) -> dict[str, str]:
        return _flat_to_dict(self.sentinel(host).execute_command("SENTINEL", "MASTER", MASTER_NAME))

    def sentinel_replicas(self, host: str) -> list[dict[str, str]]:
        return [_flat_to_dict(r) for r in self.sentinel(host).execute_command("SENTINEL", "REPLICAS", MASTER_NAME)]

    def sentinel_views(self, hosts: list[str] | None = None) -> dict[str, str | None]:
        views = {}
        for h in hosts or self.sentinel_hosts:
            try:
                views[h] = self.sentinel_master_addr(h)
            except (redis.RedisError, OSError):
                continue
        return views

    def master(self) -> str:
        """Inventory host of the master a majority of the reachable Sentinels name."""
        views = [v for v in self.sentinel_views().values() if v]
        assert views, "no Sentinel answered with a master"
        ip, count = Counter(views).most_common(1)[0]
        assert count * 2 > len(views), f"Sentinels disagree: {views}"
        return self.host_of(ip)

    # --- docker ----------------------------------------------------------------------------
    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return docker(*args, check=check)

    def running(self, host: str) -> bool:
        out = self.docker("inspect", "-f", "{{.State.Running}}", self.container(host), check=False)
        return out.stdout.strip() == "true"

    def stop_container(self, host: str) -> None:
        self.docker("stop", "-t", "1", self.container(host))

    def exec(self, host: str, *cmd: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return self.docker("exec", self.container(host), *cmd, check=check)

    def systemd(self, host: str) -> bool:
        """systemd is PID 1 (scenario topology4_3r): the daemons are units, not supervisor programs."""
        return self.exec(host, "cat", "/proc/1/comm").stdout.strip() == "systemd"

    def restore(self, host: str) -> None:
        """Container running, its supervisor (or systemd) running, every daemon of it started."""
        if not self.running(host):
            self.docker("start", self.container(host))
        if self.systemd(host):
            wait_until(
                lambda: self.exec(host, "systemctl", "is-system-running").stdout.strip() in ("running", "degraded"),
                180,
                0.5,
            )
            for unit in SYSTEMD_UNITS:  # only the installed ones exist; starting the others just fails
                self.exec(host, "systemctl", "start", unit)
            return
        if self.exec(host, "supervisorctl", "status").returncode not in (0, 3):
            # A restarted container runs only PID 1 (sleep infinity): supervisord came from an init script.
            self.exec(host, "service", "supervisor", "start")
            wait_until(lambda: self.exec(host, "supervisorctl", "status").returncode in (0, 3), 60, 0.5)
        self.exec(host, "supervisorctl", "start", "all")

    def restore_all(self) -> None:
        for h in self.hosts:
            self.restore(h)
        self.wait_healthy()

    # --- health ----------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Everything that keeps the cluster from its converged shape; empty when healthy."""
        out: list[str] = []
        views = self.sentinel_views()
        if len(views) != len(self.sentinel_hosts):
            out.append(f"Sentinels answering: {sorted(views)}")
        if len(set(views.values())) != 1 or None in views.values():
            return [*out, f"Sentinel views differ: {views}"]
        master = self.host_of(next(iter(views.values())))
        if self.role(master) != "master":
            out.append(f"{master} named by the Sentinels but answers {self.role(master)}")
        for h in self.redis_hosts:
            if h == master:
                continue
            rep = self.replication(h)
            link = rep.get("master_link_status")
            if rep["role"] != "slave" or rep.get("master_host") != self.ip(master) or link != "up":
                out.append(f"{h}: role={rep['role']} master_host={rep.get('master_host')} link={link}")
        n = len(self.sentinel_hosts)
        for s in self.sentinel_hosts:
            m = self.sentinel_master(s)
            if int(m["num-other-sentinels"]) != n - 1:
                out.append(f"sentinel {s} knows {m['num-other-sentinels']} other Sentinels, expected {n - 1}")
            if m["flags"] != "master":
                out.append(f"sentinel {s} flags the master {m['flags']}")
            reps = {r["ip"]: r for r in self.sentinel_replicas(s)}
            for h in self.redis_hosts:
                if h == master:
                    continue
                r = reps.get(self.ip(h))
                if r is None or r["flags"] != "slave" or r.get("master-link-status") != "ok":
                    out.append(f"sentinel {s} sees replica {h} as {r and (r['flags'], r.get('master-link-status'))}")
        return out

    def wait_healthy(self, timeout: float = 120) -> None:
        last: list[list[str]] = [[]]

        def ok() -> bool:
            last[0] = self.problems()
            return not last[0]

        try:
            wait_until(ok, timeout, 0.5)
        except BaseException:
            print(f"\nstill unhealthy after {timeout:.0f}s: {last[0]}")
            raise

    # --- the user's playbook ---------------------------------------------------------------
    def run_playbook(
        self, label: str, limit: str | None = None, playbook: str | None = None, extra: dict[str, Any] | None = None
    ) -> dict[str, dict[str, int]]:
        """``ansible-playbook hakit.redis.<playbook>`` on molecule's inventory (the scenario's topology
        playbook unless another is named, e.g. rolling_restart; ``extra``: -e as JSON); returns the recap."""
        eph = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
        cmd = [
            os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            f"hakit.redis.{playbook or self.playbook}",
            "-i",
            os.path.join(eph, "inventory"),
        ]
        if limit:
            cmd += ["--limit", limit]
        if extra:
            cmd += ["-e", json.dumps(extra)]
        env = dict(os.environ)
        cfg = os.path.join(eph, "ansible.cfg")
        if os.path.exists(cfg):
            env["ANSIBLE_CONFIG"] = cfg
        start = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=PLAYBOOK_TIMEOUT_S)
        measure(f"{self.scenario}.{label}", time.monotonic() - start)
        recap = parse_recap(proc.stdout)
        self.last_output = proc.stdout
        if proc.returncode != 0 or not recap:
            print(proc.stdout[-6000:], proc.stderr[-3000:])
            pytest.fail(f"ansible-playbook {' '.join(cmd[1:])} exited {proc.returncode}")
        return recap

    def assert_rerun_unchanged(self, label: str, limit: str | None = None) -> None:
        recap = self.run_playbook(label, limit)
        changed = {h: r["changed"] for h, r in recap.items() if r["changed"] or r["failed"] or r["unreachable"]}
        if changed:
            print(f"\nre-run ({label}) changed:\n" + "\n".join(changed_tasks(self.last_output)))
        assert not changed, f"re-run ({label}) not clean: {recap}"

    # --- ha_check --------------------------------------------------------------------------
    def ha_check_args(self, **extra: Any) -> dict[str, Any]:
        args = {
            "sentinels": [f"{self.ip(s)}:{SENTINEL_PORT}" for s in self.sentinel_hosts],
            "redis": [f"{self.ip(h)}:{REDIS_PORT}" for h in self.redis_hosts],
            "redis_password": self.password,
            "sentinel_password": self.sentinel_password,
            "min_replicas": len(self.redis_hosts) - 1,
            "fail_on_unhealthy": False,
        }
        if self.tls:
            args.update(HOST_TLS)
        args.update(extra)
        return args


def changed_tasks(output: str) -> list[str]:
    """``TASK [...] -> changed: [host]`` for every change in an ansible-playbook log."""
    out, task = [], ""
    for line in output.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            task = line.rstrip("* ")
        elif line.startswith("changed:"):
            out.append(f"{task} -> {line.strip()}")
    return out


def stop_and_time_failover(cluster: Cluster, old: str, stop: Any, bound_s: float) -> tuple[str, float]:
    """Run ``stop()`` and poll until a majority of the reachable Sentinels name a new master that
    answers role:master; return (new master host, seconds)."""
    start = time.monotonic()
    stop()

    def promoted() -> bool:
        new = cluster.master()
        return new != old and cluster.role(new) == "master"

    wait_until(promoted, bound_s, 0.2)
    return cluster.master(), time.monotonic() - start


# --- fixture and common checks (imported by the scenario's test module) ----------------------------
@pytest.fixture(scope="module")
def cluster(request: Any, redis_password: str, hostvars: dict[str, Any]) -> Cluster:
    c = Cluster(
        password=redis_password, sentinel_password=str(hostvars.get("sentinel_password", "")), **request.module.LAYOUT
    )
    c.restore_all()
    return c


def test_replication_link_up(cluster: Cluster) -> None:
    master = cluster.master()
    assert cluster.role(master) == "master"
    rep = cluster.replication(master)
    assert int(rep["connected_slaves"]) == len(cluster.redis_hosts) - 1, rep
    for h in cluster.redis_hosts:
        if h != master:
            r = cluster.replication(h)
            assert r["role"] == "slave", (h, r)
            assert r["master_host"] == cluster.ip(master), (h, r)
            assert r["master_link_status"] == "up", (h, r)


def test_write_on_master_read_on_every_replica(cluster: Cluster) -> None:
    master = cluster.master()
    key, value = f"hakit:molecule:{uuid.uuid4()}", str(uuid.uuid4())
    assert cluster.redis(master).set(key, value)
    for h in cluster.redis_hosts:
        if h != master:
            wait_until(lambda h=h: cluster.redis(h).get(key) == value, 10, 0.1)
    cluster.redis(master).delete(key)


def test_sentinels_agree_and_see_everything(cluster: Cluster) -> None:
    views = cluster.sentinel_views()
    assert sorted(views) == sorted(cluster.sentinel_hosts), views
    assert len(set(views.values())) == 1, views
    master = cluster.master()
    n = len(cluster.sentinel_hosts)
    for s in cluster.sentinel_hosts:
        m = cluster.sentinel_master(s)
        assert m["ip"] == cluster.ip(master), (s, m)
        assert m["flags"] == "master", (s, m)
        assert int(m["num-other-sentinels"]) == n - 1, (s, m)
        assert int(m["num-slaves"]) == len(cluster.redis_hosts) - 1, (s, m)
        seen = {r["ip"] for r in cluster.sentinel_replicas(s) if r["flags"] == "slave"}
        assert seen == {cluster.ip(h) for h in cluster.redis_hosts if h != master}, (s, seen)


def test_sentinel_ckquorum(cluster: Cluster) -> None:
    for s in cluster.sentinel_hosts:
        reply = cluster.sentinel(s).execute_command("SENTINEL", "CKQUORUM", MASTER_NAME)
        assert str(reply).startswith("OK"), (s, reply)


def test_ha_check_healthy(host: Any, cluster: Cluster) -> None:
    # Runs on the managed host (testinfra_hosts of the module): python3-redis is there.
    res = host.ansible(
        "hakit.redis.ha_check",
        json.dumps(cluster.ha_check_args(expected_master=cluster.ip(cluster.master()))),
        check=False,
    )
    assert res.get("healthy") is True, res.get("problems", res)
    assert res["quorum"]["ok"] is True, res["quorum"]


def rejoin_and_rerun(cluster: Cluster, old: str, new: str, restart: Any) -> None:
    """The re-run-after-failover sequence, the old master still down at the start:
    re-run without it -> changed=0, new master kept; bring it back -> it rejoins as a replica of the
    new master (Sentinel reconfigures it); full re-run -> changed=0, new master kept."""
    cluster.assert_rerun_unchanged("rerun_old_master_down", limit=f"!{old}")
    assert cluster.master() == new and cluster.role(new) == "master"

    start = time.monotonic()
    restart()

    def rejoined() -> bool:
        r = cluster.replication(old)
        return r["role"] == "slave" and r["master_host"] == cluster.ip(new) and r["master_link_status"] == "up"

    wait_until(rejoined, 120, 0.2)
    measure(f"{cluster.scenario}.old_master_rejoined_as_replica", time.monotonic() - start)
    cluster.wait_healthy()

    cluster.assert_rerun_unchanged("rerun_after_rejoin")
    assert cluster.master() == new and cluster.role(new) == "master"
    assert cluster.role(old) == "slave"


def fail_over_and_rerun(
    cluster: Cluster,
    fault: str,
    stop: Callable[[str], Any],
    restart: Callable[[str], Any],
    bound_s: float,
    after_failover: Callable[[str], Any] | None = None,
    after_rejoin: Callable[[str], Any] | None = None,
) -> None:
    """The failover test of every Sentinel scenario: ``stop(master)`` -> a replica is promoted
    (seconds measured as ``<scenario>.failover_<fault>``) and takes writes -> the re-run sequence of
    :func:`rejoin_and_rerun`, with ``restart(old)`` bringing the old master back. ``after_failover``
    and ``after_rejoin`` get the new master (e.g. the VIP checks of topology 4). Restores the
    cluster whatever happens."""
    old = cluster.master()
    try:
        new, seconds = stop_and_time_failover(cluster, old, lambda: stop(old), bound_s)
        measure(f"{cluster.scenario}.failover_{fault}", seconds)
        assert new != old
        if after_failover:
            after_failover(new)
        assert cluster.redis(new).set("hakit:molecule:after-failover", "1")
        rejoin_and_rerun(cluster, old, new, lambda: restart(old))
        if after_rejoin:
            after_rejoin(new)
    finally:
        cluster.restore_all()
