"""Helpers of the ha_check integration tests: real redis-server / redis-sentinel on loopback.

Every process binds 127.0.0.x only, runs from a temp dir with persistence off, and is killed at
teardown. Ports start at 27000 and each cluster takes a fresh block of 20, so a test never meets a
process (or a Sentinel's memory of one) from an earlier test.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hakit_collection import ansible_env, link_collection

PASSWORD = 's3cret "pa$$" #1'
BASE_PORT = int(os.environ.get("HAKIT_TEST_BASE_PORT", "27000"))
_port_blocks = itertools.count(BASE_PORT, 20)


link_collection()

# The linked collection is importable from here on.
from ansible_collections.hakit.redis.plugins.filter.secrets import acl_hash, derive_password


def wait_for(what: str, check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; fail the test with `what` on timeout."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - servers refuse connections while starting
            last_error = exc
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


def quote(value: str) -> str:
    """Redis config string literal: double quotes, backslash escapes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Lab:
    """Processes of one test. `redis()` / `sentinel()` start one, `kill()` stops one, `close()` all."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.base = next(_port_blocks)

    def _start(self, name: str, argv: list[str], conf: str) -> None:
        path = self.workdir / name
        path.mkdir(exist_ok=True)
        conf_file = path / "server.conf"
        conf_file.write_text(conf + f'\ndir "{path}"\nlogfile "{path}/log"\n', encoding="utf-8")
        self.procs[name] = subprocess.Popen(
            [*argv, str(conf_file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )

    def redis(
        self,
        name: str,
        port: int,
        replicaof: int | None = None,
        bind: str = "127.0.0.1",
        master_host: str = "127.0.0.1",
        password: str = PASSWORD,
        extra: str = "",
    ) -> int:
        conf = (
            f'port {port}\nbind {bind}\nsave ""\nappendonly no\nrequirepass {quote(password)}\n'
            f"masterauth {quote(password)}\nreplica-announce-ip {bind}\n{extra}\n"
        )
        if "user hakit-check " not in extra:
            # The read-only user the status playbook logs in as, as the redis role creates it.
            conf += (
                f"user hakit-check on {acl_hash(derive_password(password, 'hakit-check'))} -@all +ping +info +role\n"
            )
        if replicaof:
            conf += f"replicaof {master_host} {replicaof}\n"
        self._start(name, ["redis-server"], conf)
        wait_for(f"{name} on {bind}:{port}", lambda: self.client(port, bind).ping(), timeout=10)
        return port

    def sentinel(self, name: str, port: int, master_port: int, quorum: int = 2, master_name: str = "mymaster") -> int:
        conf = (
            f"port {port}\nbind 127.0.0.1\nsentinel announce-ip 127.0.0.1\n"
            f"sentinel monitor {master_name} 127.0.0.1 {master_port} {quorum}\n"
            f"sentinel auth-pass {master_name} {quote(PASSWORD)}\n"
            f"sentinel down-after-milliseconds {master_name} 1000\n"
            f"sentinel failover-timeout {master_name} 5000\n"
        )
        self._start(name, ["redis-sentinel"], conf)
        wait_for(f"{name} on {port}", lambda: self.client(port, password=None).ping(), timeout=10)
        return port

    def client(self, port: int, host: str = "127.0.0.1", password: str | None = PASSWORD) -> Any:
        import redis

        return redis.Redis(
            host=host, port=port, password=password, socket_timeout=2, socket_connect_timeout=2, decode_responses=True
        )

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def close(self) -> None:
        for name in list(self.procs):
            self.kill(name)


class Cluster:
    """Master + replica + three Sentinels (quorum 2), all on 127.0.0.1."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        base = lab.base
        self.master_port, self.replica_port = base, base + 1
        self.sentinel_ports = [base + 10, base + 11, base + 12]
        lab.redis("master", self.master_port)
        lab.redis("replica", self.replica_port, replicaof=self.master_port)
        for i, port in enumerate(self.sentinel_ports):
            lab.sentinel(f"sentinel{i}", port, self.master_port)
        self.wait_ready()

    @property
    def master(self) -> str:
        return f"127.0.0.1:{self.master_port}"

    @property
    def replica(self) -> str:
        return f"127.0.0.1:{self.replica_port}"

    @property
    def sentinels(self) -> list[str]:
        return [f"127.0.0.1:{p}" for p in self.sentinel_ports]

    def wait_ready(self) -> None:
        """Replication online and every Sentinel knows the others and the replica (bounded)."""
        master = self.lab.client(self.master_port)
        wait_for("replica online", lambda: "online" in str(master.info("replication").get("slave0", {})))

        def sentinels_complete() -> bool:
            for port in self.sentinel_ports:
                state = self.lab.client(port, password=None).execute_command("SENTINEL", "MASTER", "mymaster")
                fields = state if isinstance(state, dict) else dict(zip(state[::2], state[1::2], strict=True))
                if int(fields["num-other-sentinels"]) != len(self.sentinel_ports) - 1:
                    return False
                if int(fields["num-slaves"]) < 1:
                    return False
            return True

        wait_for("sentinels to discover each other and the replica", sentinels_complete, timeout=20)


def module_params(**overrides: Any) -> dict[str, Any]:
    """ha_check's params with the module's defaults, as AnsibleModule would hand them over."""
    params: dict[str, Any] = {
        "sentinels": [],
        "master_name": "mymaster",
        "redis_password": PASSWORD,
        "sentinel_password": None,
        "redis": [],
        "min_replicas": 1,
        "max_lag_bytes": None,
        "max_lag_seconds": None,
        "expected_master": None,
        "vip": None,
        "timeout": 2.0,
        "fail_on_unhealthy": True,
    }
    params.update(overrides)
    return params


def play_one_task(
    tmp_path: Path,
    module: str,
    args: dict[str, Any],
    python: str = sys.executable,
    flags: tuple[str, ...] = (),
    callback: str = "ansible.builtin.json",
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any] | None]:
    """Run one task of `module` with `args` through ansible-playbook on localhost; the process and,
    with the JSON callback, the task's result. The arguments go in a vars file, never on the
    command line (they may hold passwords)."""
    import json

    playbook = tmp_path / "one-task.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        f'    - name: One task\n      {module}: "{{{{ task_args }}}}"\n',
        encoding="utf-8",
    )
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"task_args": args, "ansible_python_interpreter": python}), encoding="utf-8")
    env = ansible_env(
        ANSIBLE_STDOUT_CALLBACK=callback,
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
    )
    ansible_playbook = str(Path(sys.executable).parent / "ansible-playbook")
    proc = subprocess.run(
        [ansible_playbook, "-i", "localhost,", "-c", "local", str(playbook), "-e", f"@{extra}", *flags],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if callback != "ansible.builtin.json":
        return proc, None
    try:
        return proc, json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        pytest.fail(f"ansible-playbook gave no JSON result (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def run_ansible(
    tmp_path: Path, args: dict[str, Any], python: str = sys.executable, flags: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Run ha_check through ansible-playbook (JSON callback); return the task's result and rc."""
    proc, result = play_one_task(tmp_path, "hakit.redis.ha_check", args, python, flags)
    assert result is not None
    result["rc"] = proc.returncode
    result["raw_output"] = proc.stdout + proc.stderr
    return result
