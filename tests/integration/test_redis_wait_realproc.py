"""hakit.redis.redis_wait, and the username options of ha_check and master_probe, against real
redis-server / redis-sentinel processes on loopback with a least-privilege ACL user."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from _lab import PASSWORD, Lab, module_params, play_one_task, wait_for

from ansible_collections.hakit.redis.plugins.modules import ha_check, master_probe, redis_wait

CHECK_USER = "hakit-check"
# Alphanumeric, like the passwords hakit.redis.derive_password gives the internal users.
CHECK_PASSWORD = "3f9a0c7d1e2b4a6c8d0e1f2a3b4c5d6e"
# What the check user may run on Redis: nothing but PING, INFO and ROLE.
CHECK_ACL = f"user {CHECK_USER} on >{CHECK_PASSWORD} resetkeys resetchannels -@all +ping +info +role"
SENTINEL_CHECK_RULES = [
    "on",
    f">{CHECK_PASSWORD}",
    "-@all",
    "+ping",
    "+sentinel|master",
    "+sentinel|get-master-addr-by-name",
    "+sentinel|replicas",
    "+sentinel|ckquorum",
]


def wait_params(port: int, **overrides: Any) -> dict[str, Any]:
    """redis_wait's params with the module's defaults, as AnsibleModule would hand them over."""
    base = {name: spec.get("default") for name, spec in redis_wait.argument_spec().items()}
    return {**base, "port": port, **overrides}


def run_playbook(
    tmp_path: Path, args: dict[str, Any], flags: tuple[str, ...] = (), callback: str = "ansible.builtin.json"
) -> tuple[int, str, dict[str, Any] | None]:
    """One redis_wait task through ansible-playbook: rc, all output, the task's result (JSON callback)."""
    proc, result = play_one_task(tmp_path, "hakit.redis.redis_wait", args, flags=flags, callback=callback)
    return proc.returncode, proc.stdout + proc.stderr, result


def redis_with_check_user(lab: Lab, name: str, port: int, replicaof: int | None = None) -> int:
    return lab.redis(name, port, replicaof=replicaof, extra=CHECK_ACL)


def sentinel_with_check_user(lab: Lab, port: int, master_port: int) -> int:
    """A Sentinel of its own (quorum 1) with the check user added at runtime, as ACL SETUSER does."""
    lab.sentinel("sentinel", port, master_port, quorum=1)
    lab.client(port, password=None).execute_command("ACL", "SETUSER", CHECK_USER, *SENTINEL_CHECK_RULES)
    return port


def test_ping_as_the_check_user_through_ansible(lab: Lab, tmp_path: Path) -> None:
    port = redis_with_check_user(lab, "redis", lab.base)
    args = {"port": port, "username": CHECK_USER, "password": CHECK_PASSWORD}
    for flags in ((), ("--check",)):
        rc, output, result = run_playbook(tmp_path, args, flags)
        assert rc == 0, output
        assert result is not None and not result.get("skipped"), output
        assert (result["changed"], result["reply"], result["attempts"]) == (False, "PONG", 1)
        assert CHECK_PASSWORD not in output


def test_failure_at_vvv_names_the_refusal_not_the_password(lab: Lab, tmp_path: Path) -> None:
    port = lab.redis("redis", lab.base)
    args = {"port": port, "password": PASSWORD + "x", "timeout": 1, "delay": 0.5}
    rc, output, _result = run_playbook(tmp_path, args, ("-vvv",), callback="ansible.builtin.default")
    assert rc != 0
    assert "WRONGPASS" in output and f"127.0.0.1:{port} did not answer PING" in output
    assert "Traceback" not in output
    # The (wrong) password appears nowhere, not even in the -vvv invocation.
    assert PASSWORD not in output and "pa$$" not in output


def test_waits_for_a_server_that_starts_later(lab: Lab) -> None:
    port = lab.base
    found: dict[str, Any] = {}
    waiter = threading.Thread(
        target=lambda: found.update(redis_wait.wait(wait_params(port, password=PASSWORD, timeout=20, delay=0.2)))
    )
    waiter.start()
    time.sleep(1.0)
    lab.redis("late", port)
    waiter.join(timeout=30)
    assert found["ok"] is True and found["reply"] == "PONG"
    assert found["attempts"] > 1 and found["elapsed"] >= 1.0


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({}, "NOAUTH Authentication required."),
        ({"username": CHECK_USER, "password": "wrong"}, "WRONGPASS"),
        ({"password": "wrong"}, "WRONGPASS"),
        (
            {"username": CHECK_USER, "password": CHECK_PASSWORD, "command": ["CONFIG", "GET", "requirepass"]},
            "NOPERM this user has no permissions to run the 'config|get' command",
        ),
        ({"username": CHECK_USER, "password": CHECK_PASSWORD, "command": ["FLUSHALL"]}, "NOPERM"),
    ],
    ids=["no-password", "wrong-user-password", "wrong-default-password", "config-get", "flushall"],
)
def test_refusals_are_named(lab: Lab, overrides: dict[str, Any], error: str) -> None:
    port = redis_with_check_user(lab, "redis", lab.base)
    params = wait_params(port, timeout=0.0, **overrides)
    result = redis_wait.wait(params)
    assert result["ok"] is False
    assert result["error"].startswith(error)
    message = redis_wait.failure_message(params, result)
    assert message.startswith(f"127.0.0.1:{port} did not answer {params['command'][0]} ")
    assert CHECK_PASSWORD not in message and PASSWORD not in message


def test_info_as_the_check_user(lab: Lab) -> None:
    port = redis_with_check_user(lab, "redis", lab.base)
    params = wait_params(port, username=CHECK_USER, password=CHECK_PASSWORD, command=["INFO", "replication"])
    result = redis_wait.wait({**params, "expect": "(?m)^role:master\r?$", "timeout": 2.0})
    assert result["ok"] is True and "connected_slaves:0" in result["reply"]


def test_sentinel_ckquorum_as_the_check_user(lab: Lab) -> None:
    master = redis_with_check_user(lab, "redis", lab.base)
    sentinel = sentinel_with_check_user(lab, lab.base + 10, master)
    ckquorum = ["SENTINEL", "CKQUORUM", "mymaster"]
    named = redis_wait.wait(
        wait_params(sentinel, username=CHECK_USER, password=CHECK_PASSWORD, command=ckquorum, expect="^OK", timeout=10)
    )
    assert named["ok"] is True and named["reply"].startswith("OK 1 usable Sentinels"), named
    # This Sentinel has no password: AUTH <password> is refused and the command still answered.
    legacy = redis_wait.wait(wait_params(sentinel, password="unused", command=ckquorum, expect="^OK", timeout=0.0))
    assert legacy["ok"] is True, legacy
    # The check user may not fail the master over.
    refused = redis_wait.wait(
        wait_params(
            sentinel,
            username=CHECK_USER,
            password=CHECK_PASSWORD,
            command=["SENTINEL", "FAILOVER", "mymaster"],
            timeout=0.0,
        )
    )
    assert refused["error"].startswith("NOPERM"), refused


def test_ha_check_and_master_probe_as_the_check_user(lab: Lab) -> None:
    master = redis_with_check_user(lab, "master", lab.base)
    replica = redis_with_check_user(lab, "replica", lab.base + 1, replicaof=master)
    sentinel = sentinel_with_check_user(lab, lab.base + 10, master)
    credentials = {
        "redis_username": CHECK_USER,
        "redis_password": CHECK_PASSWORD,
        "sentinel_username": CHECK_USER,
        "sentinel_password": CHECK_PASSWORD,
    }
    params = module_params(sentinels=[f"127.0.0.1:{sentinel}"], **credentials)
    result = wait_for("a healthy check as the check user", lambda: _healthy(ha_check.run_check(params)), timeout=20)
    assert result["master"]["port"] == master and result["master"]["role_confirmed"] is True
    assert [r["port"] for r in result["replicas"]] == [replica]
    # The same user with another password is refused, and said so.
    wrong = ha_check.run_check({**params, "redis_password": "wrong"})
    assert f"master 127.0.0.1:{master}: authentication failed (check redis_password)" in wrong["problems"]

    probe = {"sentinel_port": 26379, "redis_port": master, "master_name": "mymaster", "timeout": 1.0, **credentials}
    assert master_probe.ask_sentinel(f"127.0.0.1:{sentinel}", probe)["master"] == f"127.0.0.1:{master}"
    node = master_probe.ask_redis("master", "127.0.0.1", probe)
    assert (node["role"], node["replicas"]) == ("master", 1), node


def _healthy(result: dict[str, Any]) -> dict[str, Any] | None:
    return result if result["healthy"] else None
