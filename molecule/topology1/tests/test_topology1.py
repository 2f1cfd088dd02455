"""Topology 1 (one redis host, supervised, no Sentinel): the checks of issue 3 item 8.

Fixtures and helpers (``cli``, ``announce_ip``, ``wait_until``, ``measure``) come from
molecule/_shared/tests/hakit_testinfra.py. The state-changing tests (kill -9, restart) come last in
the file so the read-only checks see the converged state.
"""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from hakit_testinfra import measure, redis_cli, wait_until

CONF = "/etc/redis/redis.conf"
DATA_DIR = "/var/lib/redis"
PROGRAM = "redis-server"
RECOVERY_BOUND_S = 30.0


@pytest.fixture
def client(announce_ip, redis_port, redis_password):
    """redis-py from the controller to the container's own address on the scenario network."""
    c = redis.Redis(
        host=announce_ip,
        port=redis_port,
        password=redis_password,
        socket_timeout=1,
        socket_connect_timeout=1,
        decode_responses=True,
    )
    yield c
    c.close()


def serving(client) -> bool:
    return client.ping() is True


def program_pid(host) -> int:
    out = host.check_output(f"supervisorctl pid {PROGRAM}")
    return int(out.strip())


def test_ping_without_auth_is_refused(cli):
    res = cli("PING", auth=False)
    assert "NOAUTH" in res.out, res


def test_ping_with_wrong_password_is_refused(host, redis_port):
    res = redis_cli(host, "PING", password="not-the-password", port=redis_port)
    # redis-cli reports the failed AUTH on stderr and then gets NOAUTH for the PING itself.
    assert "WRONGPASS" in res.stderr, res
    assert "NOAUTH" in res.out, res


def test_ping_with_password_with_hard_characters(cli, redis_password):
    # The inventory password carries quotes, spaces, '#', '$', ':' and '/': PONG proves that the
    # template quoted requirepass so that Redis reads back exactly that string.
    assert any(c in redis_password for c in "'\" #$:/")
    assert cli("PING").out == "PONG"


def test_bound_to_announce_ip_and_loopback_only(host, cli, announce_ip, redis_port):
    bind = cli("CONFIG", "GET", "bind").out.splitlines()
    assert bind[0] == "bind"
    assert set(bind[1].split()) == {announce_ip, "127.0.0.1"}

    listening = host.check_output(f"ss -Hltn 'sport = :{redis_port}'")
    local = {line.split()[3] for line in listening.splitlines() if line.strip()}
    assert local == {f"{announce_ip}:{redis_port}", f"127.0.0.1:{redis_port}"}, listening


def test_protected_mode_and_appendonly(cli):
    assert cli("CONFIG", "GET", "protected-mode").out.splitlines() == ["protected-mode", "yes"]
    assert cli("CONFIG", "GET", "appendonly").out.splitlines() == ["appendonly", "yes"]


def test_runs_as_redis_under_supervisor(host):
    status = host.check_output(f"supervisorctl status {PROGRAM}")
    assert "RUNNING" in status, status
    users = set(host.check_output("ps -o user= -C redis-server").split())
    assert users == {"redis"}
    # Its parent is supervisord, not a distro init script.
    ppid = host.check_output(f"ps -o ppid= -p {program_pid(host)}").strip()
    assert "supervisord" in host.check_output(f"ps -o args= -p {ppid}")


def test_distro_service_not_running_beside_supervisor(host):
    # Exactly one redis-server: the supervised one.
    assert len(host.check_output("ps -o pid= -C redis-server").split()) == 1


def test_config_and_data_dir_permissions(host):
    conf = host.file(CONF)
    assert conf.is_file
    assert conf.user == "redis"
    assert conf.mode == 0o640
    data = host.file(DATA_DIR)
    assert data.is_directory
    assert data.user == "redis"
    assert data.mode == 0o750


def test_kill_9_recovers(host, client):
    old = program_pid(host)
    start = time.monotonic()
    host.run(f"kill -9 {old}")
    # supervisor notices the exit and starts a new process: a new pid that answers PING.
    wait_until(lambda: program_pid(host) != old and serving(client), RECOVERY_BOUND_S, interval=0.05)
    elapsed = time.monotonic() - start
    measure("topology1.kill9_to_serving", elapsed)
    assert elapsed < RECOVERY_BOUND_S
    # Redis may answer before supervisor's startsecs (1 s) have passed and it leaves STARTING.
    wait_until(lambda: "RUNNING" in host.check_output(f"supervisorctl status {PROGRAM}"), RECOVERY_BOUND_S, 0.2)


def test_key_survives_restart(host, client):
    key, value = f"hakit:molecule:{uuid.uuid4()}", str(uuid.uuid4())
    assert client.set(key, value)
    start = time.monotonic()
    res = host.run(f"supervisorctl restart {PROGRAM}")
    assert res.rc == 0, res.stderr
    wait_until(lambda: serving(client), RECOVERY_BOUND_S, interval=0.05)
    measure("topology1.restart_to_serving", time.monotonic() - start)
    assert client.get(key) == value
    client.delete(key)
