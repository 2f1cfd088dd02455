"""Least privilege as the roles set it up (issue 12): each user may do its job and nothing more.

Imported by a scenario's test module; clients connect from the controller, which is another host
on the scenario's network, as an application or an intruder would.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest
import redis
from sentinel_cluster import MASTER_NAME, REDIS_PORT, SENTINEL_PORT, Cluster

_SECRETS = Path(__file__).resolve().parents[3] / "plugins" / "filter" / "secrets.py"
_spec = importlib.util.spec_from_file_location("hakit_secrets", _SECRETS)
assert _spec and _spec.loader
secrets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(secrets)


def client(cluster: Cluster, host: str, port: int, username: str | None = None, password: str | None = None) -> Any:
    return redis.Redis(
        host=cluster.ip(host),
        port=port,
        username=username,
        password=password,
        socket_timeout=2,
        socket_connect_timeout=2,
        decode_responses=True,
        # RESP2: a RESP3 client starts with HELLO, which an anonymous client cannot send at all;
        # the test is about the commands themselves.
        protocol=2,
    )


def refused(call: Any) -> None:
    """Refused for want of permission (NOPERM; redis-py drops the prefix from the message). DEBUG
    never gets that far: with enable-debug-command no, Redis refuses it to every client first."""
    with pytest.raises(redis.exceptions.ResponseError) as info:
        call()
    text = str(info.value).upper()
    assert (
        isinstance(info.value, redis.exceptions.NoPermissionError)
        or "NO PERMISSIONS" in text
        or "DEBUG COMMAND NOT ALLOWED" in text
    ), repr(info.value)


def noauth(call: Any) -> None:
    """Refused for want of a login (redis-py raises AuthenticationError for NOAUTH)."""
    with pytest.raises((redis.exceptions.AuthenticationError, redis.exceptions.ResponseError)) as info:
        call()
    assert "NOAUTH" in str(info.value).upper() or "AUTHENTICATION" in str(info.value).upper(), str(info.value)


def test_nothing_without_a_login(cluster: Cluster) -> None:
    master = cluster.master()
    anon = client(cluster, master, REDIS_PORT)
    for cmd in (("CONFIG", "GET", "*"), ("FLUSHALL",), ("SET", "k", "v")):
        noauth(lambda cmd=cmd: anon.execute_command(*cmd))
    sentinel = client(cluster, cluster.sentinel_hosts[0], SENTINEL_PORT)
    for cmd in (
        ("SENTINEL", "FAILOVER", MASTER_NAME),
        ("SENTINEL", "SET", MASTER_NAME, "down-after-milliseconds", "1"),
        ("SENTINEL", "REMOVE", MASTER_NAME),
        ("SENTINEL", "MONITOR", "x", "192.0.2.1", "6379", "1"),
    ):
        noauth(lambda cmd=cmd: sentinel.execute_command(*cmd))


def test_app_user_reads_and_writes_but_administers_nothing(cluster: Cluster, hostvars: dict[str, Any]) -> None:
    app = next(u for u in hostvars["redis_users"] if u["name"] == "app")
    c = client(cluster, cluster.master(), REDIS_PORT, "app", app["password"])
    assert c.set("hakit:molecule:app", "1") and c.get("hakit:molecule:app") == "1"
    for cmd in (("CONFIG", "GET", "maxmemory"), ("FLUSHALL",), ("DEBUG", "SLEEP", "0")):
        refused(lambda cmd=cmd: c.execute_command(*cmd))
    # And the ACL itself says no to all three, whatever enable-debug-command says.
    admin = client(cluster, cluster.master(), REDIS_PORT, password=cluster.password)
    for cmd in (("CONFIG", "GET", "maxmemory"), ("FLUSHALL",), ("DEBUG", "SLEEP", "0")):
        assert "no permissions" in str(admin.execute_command("ACL", "DRYRUN", "app", *cmd)).lower(), cmd


def test_check_user_only_reads_state(cluster: Cluster) -> None:
    redis_pw = secrets.derive_password(cluster.password, "hakit-check")
    c = client(cluster, cluster.master(), REDIS_PORT, "hakit-check", redis_pw)
    assert c.ping() and c.info("replication")["role"] == "master"
    assert c.execute_command("ROLE")[0] == "master"
    for cmd in (("GET", "k"), ("SET", "k", "v"), ("CONFIG", "GET", "maxmemory")):
        refused(lambda cmd=cmd: c.execute_command(*cmd))
    sentinel_pw = secrets.derive_password(cluster.sentinel_password, "hakit-check")
    s = client(cluster, cluster.sentinel_hosts[0], SENTINEL_PORT, "hakit-check", sentinel_pw)
    assert s.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
    refused(lambda: s.execute_command("SENTINEL", "FAILOVER", MASTER_NAME))


def test_no_cleartext_password_in_the_daemons_files(cluster: Cluster) -> None:
    """sentinel.conf (rewritten by Sentinel at every failover) and the ACL file hold hashes only."""
    secrets_ = [cluster.password, cluster.sentinel_password]
    # the engine's directory, file names and user (HAKIT_ENGINE: the scenario's redis_engine)
    engine = os.environ.get("HAKIT_ENGINE", "redis")
    for host in cluster.hosts:
        for path in (f"/etc/{engine}/sentinel.conf", f"/etc/{engine}/users.acl", f"/etc/{engine}/{engine}.conf"):
            text = cluster.exec(host, "cat", path).stdout
            for secret in secrets_:
                assert secret not in text, f"a password in cleartext in {host}:{path}"
        mode = cluster.exec(host, "stat", "-c", "%a %U", f"/etc/{engine}/users.acl").stdout.split()
        if mode:
            assert mode == ["640", engine], f"{host}: users.acl is {mode}"
