"""A topology-4 lab of containers for the chaos suite and the benchmark (issue 7).

Everything runs on the project's own docker network ``hakit-chaos`` (172.28.8.0/24): containers
``hakit-chaos-node1..4`` at .11-.14, VIP .100. The host talks to Redis and the Sentinels directly on
those addresses; nothing else is ever contacted.

Shapes: node1 and node2 run Redis and a Sentinel, node3 is the Sentinel-only host; ``add_replica``
adds node4 as a Redis-only host (the 1 master / 2 replicas variant).

Every password is hostile on purpose (issue 12: any password works): spaces, both quotes, a
backslash, ``#``, ``$`` and, for the Sentinels and the application user, non-ASCII.
``HAKIT_CHAOS_LEGACY_PASSWORDS=1`` swaps in Sentinel-safe ones and ``HAKIT_CHAOS_SENTINEL_AUTH=0``
leaves the Sentinels without a password: both only to run the harness against a tree from before
issue 12 (whose preflight refuses such passwords), never the default.

Imported by ``tests/chaos`` and by ``bench/bench.py``; no pytest in here.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import redis
from hakit_support import changed_counts, docker, poll
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from hakit_collection import REPO, ansible_env

# HAKIT_CHAOS_DISTRO=trixie runs the lab on Debian 13 (image hakit/debian:trixie, scripts/bootstrap.sh
# image-trixie); HAKIT_CHAOS_ENGINE=valkey (or the bench's BENCH_ENGINE=valkey) sets redis_engine:
# valkey, on Debian 13 unless told otherwise (preflight refuses it on bookworm). Issue 16: the chaos
# tests and the bench run unchanged on either engine.
ENGINE = os.environ.get("HAKIT_CHAOS_ENGINE", os.environ.get("BENCH_ENGINE", "redis"))
DISTRO = os.environ.get("HAKIT_CHAOS_DISTRO", "trixie" if ENGINE == "valkey" else "bookworm")
if DISTRO not in ("bookworm", "trixie") or ENGINE not in ("redis", "valkey"):
    raise SystemExit(
        f"HAKIT_CHAOS_DISTRO must be bookworm or trixie, HAKIT_CHAOS_ENGINE redis or valkey: {DISTRO!r}, {ENGINE!r}"
    )
IMAGES = {
    "bookworm": os.environ.get("HAKIT_IMAGE", "hakit/debian:bookworm"),
    "trixie": os.environ.get("HAKIT_TRIXIE_IMAGE", "hakit/debian:trixie"),
}
IMAGE = IMAGES[DISTRO]
# Where the engine's packages put the role's files by default (redis_config_path and friends).
ETC = f"/etc/{ENGINE}"
REDIS_CONF = f"{ETC}/{ENGINE}.conf"
SENTINEL_CONF = f"{ETC}/sentinel.conf"
SENTINEL_LOG = f"/var/log/{ENGINE}/{ENGINE}-sentinel.log"
# HAKIT_CHAOS_NET=9 moves the whole lab to hakit-chaos9 on 172.28.9.0/24, so a benchmark and the
# chaos suite (or two developers) can run side by side; 15 (hakit-chaos15, 172.28.15.0/24) is the
# trixie/Valkey work's (issue 16: its migration test); 18 and 19 the TLS migration work's (issue 15).
# Only these project subnets exist.
_NET = os.environ.get("HAKIT_CHAOS_NET", "8")
if _NET not in ("8", "9", "15", "18", "19"):
    raise SystemExit(f"HAKIT_CHAOS_NET must be 8, 9, 15, 18 or 19 (the project's chaos subnets), not {_NET!r}")
NETWORK = "hakit-chaos" if _NET == "8" else f"hakit-chaos{_NET}"
SUBNET = f"172.28.{_NET}.0/24"
VIP = f"172.28.{_NET}.100"
# Up to six nodes: node4 and node5 join in the tests that grow the lab (a replica, Sentinels), a
# migration by replacement adds two (tests/chaos/test_valkey_migration.py).
IPS = {f"node{i}": f"172.28.{_NET}.{10 + i}" for i in range(1, 7)}
# A container on the lab network that is not part of the deployment (tests/chaos/resp_probe.py).
PROBE = "probe"
PROBE_IP = f"172.28.{_NET}.50"
LEGACY_PASSWORDS = os.environ.get("HAKIT_CHAOS_LEGACY_PASSWORDS") == "1"
SENTINEL_AUTH = os.environ.get("HAKIT_CHAOS_SENTINEL_AUTH", "1") != "0"
# redis_password: exactly the one issue 12 names.
PASSWORD = "chaos#pa$ss:/1" if LEGACY_PASSWORDS else "p@ss w0rd:#$/\"q'x\\y"
SENTINEL_PASSWORD = (
    ("sentinel#pa$ss:/2" if LEGACY_PASSWORDS else "S3ntinel-Chaos \"in'el \\ #$ \u00e9") if SENTINEL_AUTH else ""
)
# One application user (redis_users), with the rules an application typically gets.
APP_USER = "app"
APP_PASSWORD = "App-Chaos s3cret \"x'y\\z #$ \u00fc"
APP_RULES = "~* &* +@all -@dangerous"
# The internal ACL users: passwords derived from redis_password (on the Redis servers) and from
# sentinel_password (on the Sentinels) by plugins/filter/secrets.py.
REDIS_INTERNAL_USERS = ("hakit-replication", "hakit-sentinel", "hakit-check")
# Exists only when the default user is switched off (not in this lab), but its password is derived
# from redis_password all the same: the scans look for it too.
REDIS_ADMIN_USER = "hakit-admin"
# Exists only with redis_fencing: sentinels (the fence watchdog's user); scanned for all the same.
REDIS_FENCE_USER = "hakit-fence"
SENTINEL_INTERNAL_USERS = ("hakit-peer", "hakit-check")
MASTER_NAME = "mymaster"
# HAKIT_CHAOS_TLS=1: the lab runs with redis_tls and client certificates required (issue 15). Lab.create
# makes a CA and per-node certificates in its workdir; every client here then speaks TLS (TLS_KW, the
# redis-py arguments, filled by Lab.create) and ha_check uses the hosts' own files.
TLS = os.environ.get("HAKIT_CHAOS_TLS") == "1"
TLS_KW: dict[str, object] = {}
HOST_TLS = {
    "tls": True,
    "tls_ca_file": "/etc/redis/tls/ca.crt",
    "tls_cert_file": "/etc/redis/tls/node.crt",
    "tls_key_file": "/etc/redis/tls/node.key",
}
# The role's default (5000): the split-brain tests (issue 13) measure the defaults, and preflight
# refuses min-replicas-to-write >= 1 or fencing below 4000 ms.
DOWN_AFTER_MS = int(os.environ.get("HAKIT_CHAOS_DOWN_AFTER_MS", "5000"))
# The Redis port the lab's clients use (the views, ha_check, the VIP writer); a move from plaintext to
# TLS (tests/chaos/test_tls_migration.py) ends with TLS on another port and sets it.
REDIS_PORT = 6379
SENTINEL_PORT = 26379
PROGRAMS = ("redis-server", "redis-sentinel", "keepalived")
# Lines Sentinel writes into sentinel.conf itself (its rewrite section).
LEARNED = re.compile(
    r"^(sentinel (myid|monitor|config-epoch|leader-epoch|current-epoch|known-\S+)|# Generated by CONFIG)"
)
REDIS_ERRORS = (redis.RedisError, OSError)


def _load_derive_password() -> Callable[[object, str], str]:
    """plugins/filter/secrets.py's derive_password, loaded by path (the tests derive what the
    controller derives, from the same code)."""
    spec = importlib.util.spec_from_file_location("hakit_filter_secrets", REPO / "plugins" / "filter" / "secrets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.derive_password  # type: ignore[no-any-return]


derive_password = _load_derive_password()


def _load_split_brain() -> object:
    """plugins/filter/split_brain.py (the derived max-lag and its bounds), loaded by path."""
    path = REPO / "plugins" / "filter" / "split_brain.py"
    spec = importlib.util.spec_from_file_location("hakit_filter_split_brain", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


split_brain = _load_split_brain()
# The role's default redis_min_replicas_max_lag for the lab's down-after (2 s at 5000 ms).
MIN_REPLICAS_MAX_LAG: int = split_brain.min_replicas_max_lag(DOWN_AFTER_MS)  # type: ignore[attr-defined]
# The isolated master's last accepted write comes less than this long after the cut (Redis source).
ISOLATED_WINDOW_BOUND: int = split_brain.isolated_window_bound(MIN_REPLICAS_MAX_LAG)  # type: ignore[attr-defined]


def internal_password(user: str, side: str = "redis") -> str:
    """The derived password of an internal ACL user on the Redis servers or on the Sentinels."""
    return derive_password(PASSWORD if side == "redis" else SENTINEL_PASSWORD, user)


def secrets() -> dict[str, str]:
    """Every secret the lab's hosts hold, by a name that says where it comes from."""
    out = {
        "redis_password": PASSWORD,
        "sentinel_password": SENTINEL_PASSWORD,
        f"{APP_USER} (redis_users)": APP_PASSWORD,
    }
    out |= {
        f"{u} (derived from redis_password)": internal_password(u)
        for u in (*REDIS_INTERNAL_USERS, REDIS_ADMIN_USER, REDIS_FENCE_USER)
    }
    out |= {f"{u} (derived from sentinel_password)": internal_password(u, "sentinel") for u in SENTINEL_INTERNAL_USERS}
    return {name: value for name, value in out.items() if value}


def inventory_secrets(inv_vars: dict[str, object]) -> dict[str, str]:
    """The secrets one inventory gives the hosts: the passwords, the previous ones of a rotation,
    every redis_users password, and what the controller derives from each."""
    out: dict[str, str] = {}
    for key, users in (
        ("redis_password", (*REDIS_INTERNAL_USERS, REDIS_ADMIN_USER, REDIS_FENCE_USER)),
        ("redis_password_previous", (*REDIS_INTERNAL_USERS, REDIS_ADMIN_USER, REDIS_FENCE_USER)),
        ("sentinel_password", SENTINEL_INTERNAL_USERS),
        ("sentinel_password_previous", SENTINEL_INTERNAL_USERS),
    ):
        value = inv_vars.get(key)
        if value:
            out[key] = str(value)
            out |= {f"{u} (derived from {key})": derive_password(value, u) for u in users}
    for user in inv_vars.get("redis_users") or []:  # type: ignore[attr-defined]
        passwords = [user.get("password"), *(user.get("passwords") or [])]
        out |= {f"{user['name']} (redis_users) #{i}": str(pw) for i, pw in enumerate(passwords) if pw}
    return out


# Every secret an inventory written by this process gave the lab: a test that rotates passwords
# (test_rotation.py) must not leave the scans looking for the current ones only.
_DEPLOYED: dict[str, str] = {}


def _remember(named: dict[str, str]) -> None:
    known = set(_DEPLOYED.values())
    for name, value in named.items():
        if value in known:
            continue
        key, n = name, 2
        while key in _DEPLOYED:
            key, n = f"{name} ({n})", n + 1
        _DEPLOYED[key] = value
        known.add(value)


def deployed_secrets() -> dict[str, str]:
    """secrets() and every secret a lab inventory of this process has held (rotations included)."""
    _remember(secrets())
    return dict(_DEPLOYED)


_QUOTING = re.compile(r"[\\\"'$`\x00-\x1f\x7f-\U0010ffff]")


def secret_forms(secret: str) -> set[str]:
    """The ways a secret can show up in a process list or a log: as is, shell-quoted, JSON- or
    URL-escaped, with non-ASCII as ps prints it in the C locale ('?'), and every run of at least
    6 characters between the characters that quoting rewrites (quotes, backslash, $, non-ASCII)."""
    import shlex
    from urllib.parse import quote

    forms = {secret, shlex.quote(secret), json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             quote(secret, safe=""), repr(secret)[1:-1], re.sub(r"[^\x00-\x7f]", "?", secret)}  # fmt: skip
    forms |= {part for part in _QUOTING.split(secret) if len(part) >= 6}
    return {f for f in forms if f}


def find_secrets(lines: Iterable[str], named: dict[str, str] | None = None) -> list[str]:
    """Lines that hold a secret in any of its forms, each with the secret masked as <its name>."""
    forms = [(form, name) for name, value in (named or deployed_secrets()).items() for form in secret_forms(value)]
    forms.sort(key=lambda f: -len(f[0]))  # mask the longest form first
    hits = []
    for line in lines:
        found = [(form, name) for form, name in forms if form in line]
        if found:
            masked = line
            for form, name in found:
                masked = masked.replace(form, f"<{name}>")
            hits.append(masked[:400])
    return hits


def log(msg: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def wait_for(what: str, probe: Callable[[], object], timeout: float, interval: float = 0.5) -> object:
    """Calls probe until it returns something truthy; bounded by timeout (AssertionError then)."""
    return poll(probe, timeout, interval, what)[0]


@dataclass
class PlayResult:
    rc: int
    changed: dict[str, int]
    seconds: float
    output: str

    @property
    def total_changed(self) -> int:
        return sum(self.changed.values())

    def changed_tasks(self) -> list[str]:
        """Names of the tasks that reported changed (from the default callback's output)."""
        out, task = [], ""
        for line in self.output.splitlines():
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                task = line.split("[", 1)[1].rsplit("]", 1)[0]
            elif line.startswith("changed:"):
                out.append(f"{task}: {line}")
        return out


@dataclass
class Lab:
    workdir: Path
    redis_nodes: list[str] = field(default_factory=lambda: ["node1", "node2"])
    sentinel_nodes: list[str] = field(default_factory=lambda: ["node1", "node2", "node3"])
    down_after_ms: int = DOWN_AFTER_MS
    vip: bool = True  # topology 4 has one; topology 3 (two Sentinels) has none
    extra_vars: dict[str, object] = field(default_factory=dict)
    # Per node: the image (default IMAGE) and inventory variables of its own (e.g. redis_engine), for
    # mixed clusters such as the Redis -> Valkey migration (tests/chaos/test_valkey_migration.py).
    node_images: dict[str, str] = field(default_factory=dict)
    host_vars: dict[str, dict[str, object]] = field(default_factory=dict)
    # Process lists sampled while the lab converges, fails over, re-runs (issue 12's secret scan).
    ps: ProcessSampler = field(default_factory=lambda: ProcessSampler(), repr=False)
    # Every run made with -vvv: (what it was, its result), for the secret scan of their output.
    verbose_runs: list[tuple[str, PlayResult]] = field(default_factory=list, repr=False)

    # ---- containers -------------------------------------------------------------------------
    @property
    def nodes(self) -> list[str]:
        return sorted(set(self.redis_nodes) | set(self.sentinel_nodes))

    @staticmethod
    def container(node: str) -> str:
        return f"{NETWORK}-{node}"

    @staticmethod
    def destroy() -> None:
        for node in [*IPS, PROBE]:
            docker("rm", "-f", Lab.container(node), check=False)
        docker("network", "rm", NETWORK, check=False)

    def create(self) -> None:
        if shutil.which("docker") is None:
            raise RuntimeError("docker CLI not found: scripts/bootstrap.sh installs and starts the engine")
        self.destroy()  # left over by an interrupted run
        self.workdir.mkdir(parents=True, exist_ok=True)
        if TLS:
            self.make_certificates()
        docker("network", "create", "--subnet", SUBNET, "--label", "hakit.scenario=chaos", NETWORK)
        for node in self.nodes:
            self._run_container(node)
        self._install_iptables(self.nodes)

    @property
    def tls_dir(self) -> Path:
        return self.workdir / "tls"

    def make_certificates(self, keep_ca: bool = False) -> dict[str, int]:
        """CA (kept with keep_ca: a rotation) and one certificate per node (its IP, the VIP, its name)
        as the roles' default names in tls_dir; the clients' TLS_KW use node3's. Returns the serials."""
        from hakit_certs import cert_pem, key_pem, make_ca, make_cert

        self.tls_dir.mkdir(parents=True, exist_ok=True)
        if not (keep_ca and hasattr(self, "_ca")):
            self._ca = make_ca("hakit chaos CA")
            (self.tls_dir / "ca.crt").write_text(cert_pem(self._ca[0]))
        serials = {}
        for node in IPS:
            cert, key = make_cert(self._ca, node, ips=[IPS[node], VIP], dns=[node])
            (self.tls_dir / f"{node}.crt").write_text(cert_pem(cert))
            (self.tls_dir / f"{node}.key").write_text(key_pem(key))
            (self.tls_dir / f"{node}.key").chmod(0o600)
            serials[node] = cert.serial_number
        TLS_KW.clear()
        TLS_KW.update(
            ssl=True, ssl_ca_certs=str(self.tls_dir / "ca.crt"), ssl_certfile=str(self.tls_dir / "node3.crt"),
            ssl_keyfile=str(self.tls_dir / "node3.key"), ssl_check_hostname=False,
        )  # fmt: skip
        return serials

    def _run_container(self, node: str) -> None:
        docker(
            # ip_nonlocal_bind: Redis binds the VIP on every redis host, also where it is absent (vip README).
            # /run a tmpfs, as on a booted host: a docker stop/start (stop_node, stop_all) must not keep
            # the pid files of the previous "boot". Pids start again at 1 in the restarted container, and
            # the init script's start-stop-daemon (--pidfile only) takes a stale supervisord.pid naming any
            # live process, itself included, for a running supervisord: "already running", rc 1, no start.
            "run", "-d", "--init", "--cap-add", "NET_ADMIN", "--sysctl", "net.ipv4.ip_nonlocal_bind=1",
            "--tmpfs", "/run:rw,nosuid,nodev,mode=755", "--tmpfs", "/run/lock:rw,nosuid,nodev,noexec,mode=1777",
            "--name", self.container(node), "--hostname", node,
            "--network", NETWORK, "--ip", IPS[node], "--label", "hakit.scenario=chaos",
            self.node_images.get(node, IMAGE), "sleep", "infinity",
        )  # fmt: skip

    def _install_iptables(self, nodes: Iterable[str]) -> None:
        script = (
            "command -v iptables >/dev/null || { export DEBIAN_FRONTEND=noninteractive; "
            "apt-get -o DPkg::Lock::Timeout=300 update -qq && "
            "apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends iptables >/dev/null; }"
        )
        procs = {n: subprocess.Popen(["docker", "exec", self.container(n), "bash", "-c", script]) for n in nodes}
        for node, proc in procs.items():
            if proc.wait(timeout=900) != 0:
                raise RuntimeError(f"installing iptables in {self.container(node)} failed")

    def fresh_container(self, node: str) -> None:
        """An empty host under the node's name and address; a container left by an earlier test, or
        a node gone for good, is deleted first. Run the playbook afterwards."""
        self.remove_container(node)
        self._run_container(node)
        self._install_iptables([node])

    def remove_container(self, node: str) -> None:
        docker("rm", "-f", self.container(node), check=False)

    def add_replica(self, node: str = "node4") -> None:
        """Adds a Redis-only host (1 master / 2 replicas); run the playbook afterwards."""
        self.fresh_container(node)
        self.redis_nodes.append(node)

    def add_sentinel(self, node: str) -> None:
        """Adds a Sentinel-only host; run the playbook afterwards."""
        self.fresh_container(node)
        self.sentinel_nodes.append(node)

    def running(self, node: str) -> bool:
        res = docker("inspect", "-f", "{{.State.Running}}", self.container(node), check=False)
        return res.stdout.strip() == "true"

    def exec(self, node: str, script: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return docker("exec", self.container(node), "bash", "-c", script, check=False, timeout=timeout)

    def stop_node(self, node: str) -> None:
        docker("stop", "-t", "1", self.container(node))

    def start_node(self, node: str, supervisor: bool = True) -> None:
        """docker start; PID 1 is `sleep infinity`, so supervisord (and the daemons) need starting."""
        docker("start", self.container(node))
        if supervisor:
            self._start_supervisor(node, self.exec(node, "service supervisor start"))
            wait_for(f"supervised programs on {node}", lambda: self.all_running(node), 60)

    def _start_supervisor(self, node: str, res: subprocess.CompletedProcess[str]) -> None:
        """A failed `service supervisor start` after a docker start fails now, with what it said:
        nothing runs supervisord in a just-started container, so waiting for its programs is moot.
        The init script starts it with `start-stop-daemon --quiet`, which says nothing when it refuses
        ("already running": the pid file names a live process), so the pid file and the processes too."""
        if res.returncode != 0:
            said = (res.stdout + res.stderr).strip()
            seen = self.exec(node, "echo pid file: $(cat /run/supervisord.pid 2>&1); ps -eo pid,args").stdout
            raise AssertionError(f"`service supervisor start` on {node} failed (rc {res.returncode}): {said}\n{seen}")

    def stop_all(self) -> None:
        """Every node at once (one docker stop), so no Sentinel outlives the others long enough to fail over."""
        docker("stop", "-t", "1", *[self.container(n) for n in self.nodes])

    def start_all(self) -> None:
        """Every node at once, supervisord started in all of them together (a reboot of the whole site)."""
        docker("start", *[self.container(n) for n in self.nodes])
        procs = {
            n: subprocess.Popen(
                ["docker", "exec", self.container(n), "service", "supervisor", "start"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in self.nodes
        }
        done = {n: (proc, *proc.communicate(timeout=120)) for n, proc in procs.items()}
        for n, (proc, out, err) in done.items():
            self._start_supervisor(n, subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
        for n in self.nodes:
            try:
                wait_for(f"supervised programs on {n}", lambda n=n: self.all_running(n), 60)
            except AssertionError as exc:
                # which program is in which state, and what supervisord logged, not just "False"
                status = self.exec(n, "supervisorctl status; tail -n 30 /var/log/supervisor/supervisord.log")
                raise AssertionError(f"{exc}\n{status.stdout}{status.stderr}") from None

    def all_running(self, node: str) -> bool:
        res = self.exec(node, "supervisorctl status")
        lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
        return bool(lines) and all(" RUNNING " in ln for ln in lines)

    # ---- inventory and playbooks ------------------------------------------------------------
    @property
    def inventory(self) -> Path:
        return self.workdir / "inventory.yml"

    def write_inventory(self) -> Path:
        def host(node: str) -> dict[str, object]:
            # redis_bind left to the role: it includes vip_address by default.
            own = self.host_vars.get(node, {})
            return {"ansible_host": self.container(node), "redis_announce_ip": IPS[node], **own}

        inv = {
            "all": {
                "vars": {
                    "ansible_connection": "community.docker.docker",
                    "ansible_python_interpreter": "/usr/bin/python3",
                    "redis_password": PASSWORD,
                    **({"sentinel_password": SENTINEL_PASSWORD} if SENTINEL_PASSWORD else {}),
                    "redis_users": [{"name": APP_USER, "password": APP_PASSWORD, "rules": APP_RULES}],
                    "sentinel_down_after_ms": self.down_after_ms,
                    **({"redis_engine": ENGINE} if ENGINE != "redis" else {}),
                    **({"vip_address": VIP} if self.vip else {}),
                    **(
                        {
                            "redis_tls": True,
                            "redis_tls_auth_clients": "yes",
                            "redis_tls_ca_file": str(self.tls_dir / "ca.crt"),
                            # The VIP check's per-call budget docs/tls.md advises for loaded hosts: with
                            # the defaults its TLS handshakes timed out at a load average of 30 and the
                            # VIP flapped on the healthy master (the first rotation run failed on it).
                            "vip_check_call_timeout": 2.0,
                            "vip_check_timeout": 5,
                        }
                        if TLS
                        else {}
                    ),
                    **self.extra_vars,
                },
                "children": {
                    "redis": {"hosts": {n: host(n) for n in self.redis_nodes}},
                    "sentinel": {"hosts": {n: host(n) for n in self.sentinel_nodes}},
                },
            }
        }
        _remember(inventory_secrets(inv["all"]["vars"]))  # type: ignore[index]
        # JSON is YAML; json.dumps quotes the passwords for YAML too (\uXXXX for non-ASCII).
        self.inventory.write_text("---\n" + json.dumps(inv, indent=2) + "\n")
        return self.inventory

    def env(self) -> dict[str, str]:
        return ansible_env()

    def playbook(
        self,
        name: str = "topology4",
        limit: str | None = None,
        extra: dict[str, object] | None = None,
        verbose: str | None = None,
        check: bool = False,
    ) -> PlayResult:
        """Runs hakit.redis.<name>; with verbose (a label saying what the run is), with -vvv and
        kept in verbose_runs for the secret scan of its output."""
        self.write_inventory()
        cmd = [shutil.which("ansible-playbook") or "ansible-playbook", f"hakit.redis.{name}", "-i", str(self.inventory)]
        if limit:
            cmd += ["--limit", limit]
        if extra:
            cmd += ["-e", json.dumps(extra)]
        if verbose:
            cmd += ["-vvv"]
        if check:
            cmd += ["--check", "--diff"]
        log(f"ansible-playbook hakit.redis.{name} --limit {limit} -e {extra}{' -vvv' if verbose else ''}")
        start = time.monotonic()
        res = subprocess.run(cmd, capture_output=True, text=True, env=self.env(), cwd=self.workdir, timeout=2400)
        secs = time.monotonic() - start
        out = res.stdout + res.stderr
        (self.workdir / f"{name}-{int(time.time())}.log").write_text(out)
        changed = changed_counts(res.stdout)
        log(f"  rc={res.returncode} {secs:.0f} s changed={changed}")
        result = PlayResult(res.returncode, changed, secs, out)
        if verbose:
            self.verbose_runs.append((verbose, result))
        return result

    def ha_check(self, attempts: int = 12, interval: float = 5) -> str:
        """hakit.redis.ha_check from a running Sentinel host until healthy (bounded); returns its output."""
        # The passwords come from the inventory by name (templated in the module's arguments), so
        # they are not on this controller's command line either.
        args = {
            "sentinels": [f"{IPS[n]}:{SENTINEL_PORT}" for n in self.sentinel_nodes],
            "redis": [f"{IPS[n]}:{REDIS_PORT}" for n in self.redis_nodes],
            "redis_password": "{{ redis_password }}",
            **({"sentinel_password": "{{ sentinel_password }}"} if SENTINEL_PASSWORD else {}),
            "min_replicas": len(self.redis_nodes) - 1,
            **({"vip": VIP} if self.vip else {}),
            # TLS_KW: a TLS lab, or one a test moved to TLS
            **(HOST_TLS if TLS_KW else {}),
        }
        self.write_inventory()
        out = ""
        for _ in range(attempts):
            runner = next(n for n in self.sentinel_nodes if self.running(n))
            cmd = [shutil.which("ansible") or "ansible", runner, "-i", str(self.inventory), "-m",
                   "hakit.redis.ha_check", "-a", json.dumps(args), "-o"]  # fmt: skip
            res = subprocess.run(cmd, capture_output=True, text=True, env=self.env(), cwd=self.workdir, timeout=300)
            out = res.stdout + res.stderr
            if res.returncode == 0:
                return out
            time.sleep(interval)
        raise AssertionError(f"ha_check still unhealthy after {attempts} attempts:\n{out[-3000:]}")

    # ---- Redis / Sentinel views -------------------------------------------------------------
    @staticmethod
    def client(node: str, port: int | None = None, timeout: float = 1.5) -> redis.Redis:
        """An admin client (the `default` user) of the Redis server (REDIS_PORT, the default) or the
        Sentinel (SENTINEL_PORT)."""
        port = REDIS_PORT if port is None else port
        password = SENTINEL_PASSWORD if port == SENTINEL_PORT else PASSWORD
        return redis.Redis(
            host=IPS[node], port=port, password=password or None, socket_timeout=timeout,
            socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0), decode_responses=True, **TLS_KW,
        )  # fmt: skip

    def role(self, node: str) -> str | None:
        try:
            with self.client(node) as c:
                return str(c.info("replication")["role"])
        except REDIS_ERRORS:
            return None

    def replica_link_up(self, node: str, master: str) -> bool:
        try:
            with self.client(node) as c:
                info = c.info("replication")
        except REDIS_ERRORS:
            return False
        return (
            info.get("role") == "slave"
            and info.get("master_host") == IPS[master]
            and info.get("master_link_status") == "up"
        )

    def sentinel_view(self, node: str) -> str | None:
        """The node the Sentinel on `node` names as master, or None."""
        try:
            with self.client(node, SENTINEL_PORT) as c:
                addr = c.execute_command("SENTINEL", "get-master-addr-by-name", MASTER_NAME)
        except REDIS_ERRORS:
            return None
        if not addr:
            return None
        by_ip = {ip: n for n, ip in IPS.items()}
        return by_ip.get(addr[0], addr[0])

    def master(self, among: Iterable[str] | None = None) -> str | None:
        """The master a majority of the given (default: all) Sentinels name, or None."""
        sentinels = list(among) if among is not None else self.sentinel_nodes
        views = [self.sentinel_view(n) for n in sentinels]
        for v in set(views) - {None}:
            if views.count(v) > len(self.sentinel_nodes) // 2:
                return v
        return None

    def vip_holders(self) -> list[str]:
        out = []
        for node in self.nodes:
            if not self.running(node):
                continue
            res = self.exec(node, "ip -4 -o addr show", timeout=30)
            if re.search(rf"inet {re.escape(VIP)}/", res.stdout):
                out.append(node)
        return out

    def invariant(self, down: Iterable[str] = ()) -> tuple[bool, dict[str, object]]:
        """Exactly one role:master, every (up) Sentinel names it, only it holds the VIP."""
        down = set(down)
        roles = {n: self.role(n) for n in self.redis_nodes if n not in down}
        masters = [n for n, r in roles.items() if r == "master"]
        views = {n: self.sentinel_view(n) for n in self.sentinel_nodes if n not in down}
        vip = self.vip_holders()
        detail = {"roles": roles, "sentinels": views, "vip": vip}
        ok = (
            len(masters) == 1
            and all(v == masters[0] for v in views.values())
            and vip == (masters if self.vip else [])
            and all(r is not None for r in roles.values())
        )
        return ok, detail

    def wait_invariant(self, timeout: float = 120, down: Iterable[str] = ()) -> str:
        """Waits (bounded) until the invariant holds; returns the master."""
        down = list(down)
        last: dict[str, object] = {}

        def probe() -> str | None:
            nonlocal last
            ok, last = self.invariant(down)
            return next(n for n, r in last["roles"].items() if r == "master") if ok else None  # type: ignore[union-attr]

        try:
            what = "the invariant (one master, named by every Sentinel, sole VIP holder)"
            return str(wait_for(what, probe, timeout, 1))
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last state: {last}") from None

    def wait_replicas_synced(self, master: str, timeout: float = 120, down: Iterable[str] = ()) -> None:
        replicas = [n for n in self.redis_nodes if n != master and n not in set(down)]
        wait_for(
            f"replicas {replicas} linked to {master}",
            lambda: all(self.replica_link_up(r, master) for r in replicas),
            timeout,
        )

    # ---- faults -----------------------------------------------------------------------------
    def pid(self, node: str, program: str) -> int:
        res = self.exec(node, f"supervisorctl pid {program}")
        try:
            return int(res.stdout.strip())
        except ValueError:
            return 0

    def kill(self, node: str, program: str, sig: str = "KILL") -> int:
        pid = self.pid(node, program)
        assert pid > 0, f"{program} is not running on {node}"
        self.exec(node, f"kill -{sig} {pid}")
        return pid

    def answers(self, node: str, program: str) -> bool:
        if program == "keepalived":
            return self.pid(node, program) > 0
        try:
            with self.client(node, SENTINEL_PORT if program == "redis-sentinel" else REDIS_PORT) as c:
                return bool(c.ping())
        except REDIS_ERRORS:
            return False

    def partition(self, node: str) -> float:
        """Cuts `node` off from every other lab node, both directions, inside each container.
        The host (the bridge gateway) still reaches every node. Returns the time the cut took effect
        (the rules in `node` itself, which drop both directions, applied)."""
        others = [n for n in self.nodes if n != node and self.running(n)]
        rules = " && ".join(
            f"iptables -I INPUT -s {IPS[o]} -j DROP && iptables -I OUTPUT -d {IPS[o]} -j DROP" for o in others
        )
        assert self.exec(node, rules).returncode == 0, f"iptables on {node} failed"
        t_cut = time.time()
        for o in others:
            res = self.exec(o, f"iptables -I INPUT -s {IPS[node]} -j DROP && iptables -I OUTPUT -d {IPS[node]} -j DROP")
            assert res.returncode == 0, f"iptables on {o} failed: {res.stderr}"
        return t_cut

    def heal(self) -> None:
        for node in self.nodes:
            if self.running(node):
                self.exec(node, "iptables -F INPUT; iptables -F OUTPUT")

    def repair(self) -> None:
        """Best effort back to 'every node up, every daemon running, no partition'."""
        for node in self.nodes:
            if not self.running(node):
                self.start_node(node, supervisor=False)
            self.exec(node, "iptables -F INPUT; iptables -F OUTPUT")
            self.exec(node, "service supervisor status >/dev/null 2>&1 || service supervisor start >/dev/null 2>&1")
            for prog in PROGRAMS:
                pid = self.pid(node, prog)
                if pid:
                    self.exec(node, f"kill -CONT {pid}")
            self.exec(node, "supervisorctl start all >/dev/null 2>&1 || true")

    # ---- a host outside the deployment ------------------------------------------------------
    def start_probe(self) -> None:
        """A bare container on the lab network (--init, the base image, nothing installed)."""
        docker("rm", "-f", self.container(PROBE), check=False)
        docker(
            "run", "-d", "--init", "--name", self.container(PROBE), "--hostname", PROBE, "--network", NETWORK,
            "--ip", PROBE_IP, "--label", "hakit.scenario=chaos", IMAGE, "sleep", "infinity",
        )  # fmt: skip

    def remove_probe(self) -> None:
        docker("rm", "-f", self.container(PROBE), check=False)

    @staticmethod
    def session(node: str, port: int, commands: list[list[str]], auth: tuple[str, str] | None = None,
                refused_only: bool = False) -> dict[str, object]:  # fmt: skip
        """One connection of the probe (see resp_probe.py): AUTH first when given, then commands."""
        return {"host": IPS[node], "port": port, "auth": list(auth) if auth else None, "commands": commands,
                "refused_only": refused_only}  # fmt: skip

    def resp(self, sessions: list[dict[str, object]]) -> list[list[object]]:
        """Runs the sessions from the probe container; the plan (passwords included) goes over stdin."""
        script = Path(__file__).with_name("resp_probe.py").read_text()
        res = subprocess.run(
            ["docker", "exec", "-i", self.container(PROBE), "python3", "-c", script],
            input=json.dumps({"sessions": sessions}), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if res.returncode != 0:
            raise AssertionError(f"the RESP probe failed (rc {res.returncode}): {res.stderr[-2000:]}")
        return json.loads(res.stdout)  # type: ignore[no-any-return]

    # ---- files and data ---------------------------------------------------------------------
    def sentinel_conf(self, node: str) -> str:
        return self.exec(node, f"cat {SENTINEL_CONF}").stdout

    def learned_lines(self) -> dict[str, list[str]]:
        return {n: [ln for ln in self.sentinel_conf(n).splitlines() if LEARNED.match(ln)] for n in self.sentinel_nodes}

    def missing(self, keys: list[str], master: str) -> list[str]:
        """Keys not present on `master`."""
        out: list[str] = []
        with self.client(master, timeout=10) as c:
            for i in range(0, len(keys), 1000):
                chunk = keys[i : i + 1000]
                vals = c.mget(chunk)
                out += [k for k, v in zip(chunk, vals, strict=True) if v is None]
        return out


class Writer(threading.Thread):
    """Writes sequence-numbered keys in a loop and records every attempt.

    mode "sentinel": through redis-py's Sentinel client; "vip": to VIP:REDIS_PORT; "node:<name>": straight
    to one node. With wait_ms, every SET is followed by WAIT 1 <wait_ms>; the write counts as
    acknowledged only when WAIT reports at least one replica.
    """

    def __init__(self, prefix: str, mode: str = "sentinel", sentinels: Iterable[str] = ("node1", "node2", "node3"),
                 wait_ms: int | None = 1000, interval: float = 0.02) -> None:  # fmt: skip
        super().__init__(daemon=True, name=f"writer-{prefix}-{mode}")
        self.prefix, self.mode, self.wait_ms, self.interval = prefix, mode, wait_ms, interval
        self.sentinel_nodes = list(sentinels)
        self.events: list[tuple[float, int, bool, bool, str]] = []  # (t, seq, ok, acked, error)
        self._stop_evt = threading.Event()
        self._lock = threading.Lock()

    def _client(self) -> redis.Redis:
        kw = {"password": PASSWORD, "socket_timeout": 1.0, "socket_connect_timeout": 1.0,
              "retry": Retry(NoBackoff(), 0), **TLS_KW}  # fmt: skip
        if self.mode == "sentinel":
            # sentinel_kwargs too: by default the Sentinel connections get only the socket_* options
            # and redis-py's 3 retries with backoff, which cost seconds per dead Sentinel asked.
            sentinel = Sentinel(
                [(IPS[n], SENTINEL_PORT) for n in self.sentinel_nodes],
                sentinel_kwargs={**kw, "password": SENTINEL_PASSWORD or None},
                **kw,
            )
            return sentinel.master_for(MASTER_NAME)
        host = VIP if self.mode == "vip" else IPS[self.mode.split(":", 1)[1]]
        return redis.Redis(host=host, port=REDIS_PORT, **kw)

    def run(self) -> None:
        client = self._client()
        seq = 0
        while not self._stop_evt.is_set():
            seq += 1
            key = f"{self.prefix}:{seq}"
            ok = acked = False
            err = ""
            try:
                client.set(key, seq)
                ok = True
                if self.wait_ms is not None:
                    acked = int(client.execute_command("WAIT", 1, self.wait_ms)) >= 1
            except REDIS_ERRORS as exc:
                err = f"{type(exc).__name__}: {exc}"[:200]
            with self._lock:
                self.events.append((time.time(), seq, ok, acked, err))
            self._stop_evt.wait(self.interval if ok else 0.05)
        client.close()

    def stop(self) -> None:
        self._stop_evt.set()
        self.join(timeout=30)

    # ---- views of the record -----------------------------------------------------------------
    def snapshot(self) -> list[tuple[float, int, bool, bool, str]]:
        with self._lock:
            return list(self.events)

    def key(self, seq: int) -> str:
        return f"{self.prefix}:{seq}"

    def acked_keys(self) -> list[str]:
        return [self.key(s) for _, s, _, a, _ in self.snapshot() if a]

    def ok_keys(self, after: float = 0, before: float = float("inf")) -> list[str]:
        return [self.key(s) for t, s, ok, _, _ in self.snapshot() if ok and after <= t <= before]

    def count(self, acked: bool = False) -> int:
        return sum(1 for _, _, ok, a, _ in self.snapshot() if (a if acked else ok))

    def wait_progress(self, n: int, acked: bool = False, timeout: float = 120) -> None:
        start = self.count(acked)
        wait_for(
            f"{n} more {'acknowledged' if acked else 'successful'} writes ({self.mode})",
            lambda: self.count(acked) >= start + n,
            timeout,
            0.2,
        )

    def last_ok_before(self, t: float) -> float | None:
        ts = [e[0] for e in self.snapshot() if e[2] and e[0] < t]
        return max(ts) if ts else None

    def first_ok_after(self, t: float) -> float | None:
        ts = [e[0] for e in self.snapshot() if e[2] and e[0] > t]
        return min(ts) if ts else None

    def longest_gap(self, start: float, end: float) -> float:
        """The longest time between two successful writes that spans part of [start, end] (the write
        gap an operation caused; the chaos tests log it, the bench reports it)."""
        times = sorted(t for t, _, ok, _, _ in self.snapshot() if ok)
        return max((b - a for a, b in itertools.pairwise(times) if b >= start and a <= end), default=0.0)

    def errors_after(self, t: float, contains: str) -> list[float]:
        return [e[0] for e in self.snapshot() if e[0] > t and contains in e[4]]


class ProcessSampler:
    """Samples `ps -ww -eo args` on lab nodes about every 0.2 s while a phase runs, and keeps every
    distinct line with the phases and nodes it was seen on (issue 12: no secret in a process list).

    One `docker exec` per node runs the sampling loop inside the container (the same PID namespace
    a `docker exec <node> ps` sees) and streams the samples back; a new `docker exec` per sample
    would cost five container execs a second per node on a two-core machine while the lab
    converges. A node that goes away (stopped) is followed again when it comes back.
    """

    MARK = "--hakit-ps-sample--"
    # Bounded by itself (30 min) in case nobody stops it; `kill <its pid>` ends it earlier.
    LOOP = (
        f"echo $$; export LC_ALL=C.UTF-8; while [ $SECONDS -lt 1800 ]; do ps -ww -eo args; echo {MARK}; sleep 0.2; done"
    )

    def __init__(self) -> None:
        self.lines: dict[str, set[tuple[str, str]]] = {}  # line -> {(phase, node)}
        self.samples: dict[str, dict[str, int]] = {}  # phase -> node -> samples
        self.seconds: dict[str, float] = {}  # phase -> how long it was sampled
        self.nodes: dict[str, set[str]] = {}  # phase -> the nodes it sampled
        self._lock = threading.Lock()

    @staticmethod
    def _end_loop(node: str, pid: str) -> None:
        if pid.isdigit():
            docker("exec", Lab.container(node), "kill", pid, check=False, timeout=30)

    def _follow(
        self, node: str, phase: str, stop: threading.Event, running: dict[str, tuple[subprocess.Popen[str], str]]
    ) -> None:
        container = Lab.container(node)
        while not stop.is_set():
            proc = subprocess.Popen(
                ["docker", "exec", container, "bash", "-c", self.LOOP],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors="replace",
            )  # fmt: skip
            assert proc.stdout is not None
            pid = proc.stdout.readline().strip()  # the loop's PID inside the container
            running[node] = (proc, pid)
            if stop.is_set():  # stopped while this loop started: the stopper may have missed it
                self._end_loop(node, pid)
            block: list[str] = []
            for raw in proc.stdout:
                line = raw.rstrip("\n")
                if line != self.MARK:
                    block.append(line)
                    continue
                with self._lock:
                    self.samples[phase][node] = self.samples[phase].get(node, 0) + 1
                    for seen in block:
                        self.lines.setdefault(seen, set()).add((phase, node))
                block = []
            proc.wait()
            stop.wait(0.5)  # the node is down (or the loop ended): try again until stopped

    class _Phase:
        def __init__(self, sampler: ProcessSampler, phase: str, nodes: list[str]) -> None:
            self.sampler, self.phase, self.nodes = sampler, phase, nodes
            self.stop = threading.Event()
            self.running: dict[str, tuple[subprocess.Popen[str], str]] = {}
            self.threads: list[threading.Thread] = []
            self.start = 0.0

        def __enter__(self) -> ProcessSampler._Phase:
            with self.sampler._lock:
                self.sampler.samples.setdefault(self.phase, {})
                self.sampler.nodes.setdefault(self.phase, set()).update(self.nodes)
            self.start = time.monotonic()
            for node in self.nodes:
                t = threading.Thread(target=self.sampler._follow, args=(node, self.phase, self.stop, self.running),
                                     daemon=True, name=f"ps-{self.phase}-{node}")  # fmt: skip
                t.start()
                self.threads.append(t)
            return self

        def __exit__(self, *exc: object) -> None:
            self.stop.set()
            for node, (_, pid) in list(self.running.items()):
                self.sampler._end_loop(node, pid)
            for t in self.threads:
                t.join(timeout=30)
            for proc, _ in self.running.values():  # a docker exec client that did not end with its loop
                if proc.poll() is None:
                    proc.kill()
            secs = time.monotonic() - self.start
            with self.sampler._lock:
                self.sampler.seconds[self.phase] = self.sampler.seconds.get(self.phase, 0.0) + secs
            log(f"ps sampled during {self.phase} for {secs:.0f} s: {self.sampler.samples[self.phase]}")

    def during(self, phase: str, nodes: Iterable[str]) -> ProcessSampler._Phase:
        """`with sampler.during("converge", lab.nodes): ...` samples those nodes while the block runs."""
        return self._Phase(self, phase, list(nodes))

    def phase_lines(self, phase: str) -> list[str]:
        with self._lock:
            return [line for line, where in self.lines.items() if any(p == phase for p, _ in where)]


@dataclass
class SplitBrain:
    """Figures of one partition of the master from every peer (issue 13's invariant, docs/chaos.md).

    Times are seconds after the cut, measured on the host, which reaches every node during the
    partition: one writer straight to the old master, one straight to each other redis node (it
    gets READONLY until that node is promoted), and the Sentinel-client writer with WAIT."""

    old: str
    new: str
    window: float  # cut -> the isolated master's last accepted write (0: none after the cut)
    first_new: float | None  # cut -> the new master's first accepted write (None: none before the heal)
    healed: float  # cut -> the partition removed
    promoted: float  # cut -> a majority of the Sentinels names another node
    taken: int  # writes the isolated master accepted after the cut
    lost: int  # of every write accepted after the cut (on any node, acknowledged or not): gone after the rejoin
    acked_lost: int  # acknowledged (WAIT 1) writes missing after the rejoin: must be 0
    refused: bool  # the isolated master answered NOREPLICAS during the partition

    @property
    def overlap(self) -> float:
        """Seconds during which both masters accepted writes: 0 is the invariant."""
        if self.first_new is None or self.taken == 0:
            return 0.0
        return max(0.0, self.window - self.first_new)

    @property
    def unavailable(self) -> float:
        """Seconds after the cut without a master that clients following the Sentinels can write to:
        cut -> the new master's first accepted write (until the heal when there was none)."""
        return self.first_new if self.first_new is not None else self.healed

    def line(self) -> str:
        first = (
            f"{self.first_new:.2f} s" if self.first_new is not None else f"none before the heal ({self.healed:.1f} s)"
        )
        return (
            f"{self.old} -> {self.new}: isolated window {self.window:.2f} s ({self.taken} writes, "
            f"{'NOREPLICAS' if self.refused else 'never refused'}), promoted at {self.promoted:.2f} s, "
            f"new master's first write {first}, overlap {self.overlap:.2f} s, unavailable {self.unavailable:.2f} s, "
            f"lost on rejoin {self.lost}, acknowledged lost {self.acked_lost} "
            f"(max-lag {MIN_REPLICAS_MAX_LAG} s, bound {ISOLATED_WINDOW_BOUND} s, down-after {DOWN_AFTER_MS} ms)"
        )


def measure_partition(lab: Lab, hold: float = 0.0, prefix: str = "split") -> SplitBrain:
    """Cuts the master off from every other node, keeps the cut until the majority side has promoted
    a replica, the isolated master has been quiet past its bound and `hold` more seconds have passed
    (or the new master took writes), heals, waits for the rejoin and returns the figures."""
    old = lab.wait_invariant()
    lab.wait_replicas_synced(old)
    stamp = int(time.time() * 1000)
    ws = Writer(f"{prefix}:{stamp}", "sentinel", lab.sentinel_nodes)
    wd = Writer(f"{prefix}-old:{stamp}", f"node:{old}", wait_ms=None)
    others = {n: Writer(f"{prefix}-{n}:{stamp}", f"node:{n}", wait_ms=None) for n in lab.redis_nodes if n != old}
    writers = [ws, wd, *others.values()]
    for w in writers:
        w.start()
    ws.wait_progress(20, acked=True)
    wd.wait_progress(20)
    t_cut = lab.partition(old)
    majority = [n for n in lab.sentinel_nodes if n != old]
    try:
        new = str(wait_for("the majority side to promote a replica",
                           lambda: (lab.master(majority) or old) != old and lab.master(majority),
                           120 + 4 * DOWN_AFTER_MS / 1000, 0.1))  # fmt: skip
        t_promoted = time.time()
        quiet_until = t_cut + ISOLATED_WINDOW_BOUND + 2
        deadline = max(t_promoted + hold, quiet_until)
        while time.time() < deadline:
            if time.time() >= quiet_until and others[new].first_ok_after(t_cut) is not None and hold == 0:
                break
            time.sleep(0.1)
        # The isolated master's window, from a record that went on past its bound.
        taken = wd.ok_keys(after=t_cut)
        t_last_old = max((t for t, _, ok, _, _ in wd.snapshot() if ok and t > t_cut), default=t_cut)
        refused = bool(wd.errors_after(t_cut, "NOREPLICAS"))
        wd.stop()
    finally:
        lab.heal()
    t_heal = time.time()
    assert lab.wait_invariant(timeout=120) == new, "the old master did not rejoin as a replica"
    lab.wait_replicas_synced(new)
    for w in writers:
        w.stop()
    first_new = min((t for w in others.values() for t, _, ok, _, _ in w.snapshot() if ok and t > t_cut), default=None)
    if first_new is not None and first_new > t_heal:
        first_new = None  # accepted only once the partition was gone
    accepted = [k for w in writers for k in w.ok_keys(after=t_cut)]
    fig = SplitBrain(
        old=old, new=new, window=t_last_old - t_cut, first_new=None if first_new is None else first_new - t_cut,
        healed=t_heal - t_cut, promoted=t_promoted - t_cut, taken=len(taken),
        lost=len(lab.missing(accepted, new)), acked_lost=len(lab.missing(ws.acked_keys(), new)), refused=refused,
    )  # fmt: skip
    log(f"split brain: {fig.line()}")
    return fig
