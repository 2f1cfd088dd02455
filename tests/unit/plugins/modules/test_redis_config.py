"""redis_config: file lines and running values reconciled in one run; restarts only when Redis says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from module_args import patch_module_args

from ansible_collections.hakit.redis.plugins.modules import redis_config

PASSWORD = "pw#1"


class FakeRedis:
    """The running server: CONFIG GET/SET on a dict, the replication role, and the commands seen."""

    def __init__(self, config: dict[str, str], role: str = "master", immutable: tuple[str, ...] = ()) -> None:
        self.config = config
        self.role = role
        self.immutable = immutable
        self.commands: list[tuple[str, ...]] = []

    def ping(self) -> bool:
        return True

    def config_get(self, key: str) -> dict[str, str]:
        return {key: self.config[key]} if key in self.config else {}

    def config_set(self, key: str, value: str) -> None:
        if key in self.immutable:
            raise Exception(
                f"ERR CONFIG SET failed (possibly related to argument '{key}') - can't set immutable config"
            )
        self.commands.append(("CONFIG SET", key, value))
        self.config[key] = value

    def info(self, section: str) -> dict[str, Any]:
        if self.role == "slave":
            return {"role": "slave", "master_host": "10.0.0.11", "master_port": 6379}
        return {"role": "master"}

    def execute_command(self, *args: str) -> None:
        self.commands.append(args)


class Failing:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def ping(self) -> bool:
        raise self.exc


def run(capsys, monkeypatch, server: FakeRedis | None, path: Path, check: bool = False, **args: Any) -> dict[str, Any]:
    def connect(host: str, port: int, password: str | None, timeout: float) -> Any:
        # redis-py connects lazily: the first command (ping) raises.
        if server is None:
            return Failing(ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."))
        if password != PASSWORD:
            return Failing(Exception("WRONGPASS invalid username-password pair"))
        return server

    monkeypatch.setattr(redis_config, "connect", connect)
    module_args = {"path": str(path), "password": PASSWORD, "_ansible_check_mode": check, **args}
    with patch_module_args(module_args), pytest.raises(SystemExit):
        redis_config.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    path = tmp_path / "redis.conf"
    path.write_text(f'port 6379\nmaxmemory 0\nrequirepass "{PASSWORD}"\nlogfile /var/log/redis/a.log\n')
    return path


def test_in_sync_changes_nothing(capsys, monkeypatch, conf: Path) -> None:
    server = FakeRedis({"maxmemory": "0", "port": "6379"})
    got = run(capsys, monkeypatch, server, conf, settings={"maxmemory": "0", "port": 6379})
    assert not got["changed"] and server.commands == []


def test_a_runtime_setting_is_applied_live_and_in_the_file(capsys, monkeypatch, conf: Path) -> None:
    server = FakeRedis({"maxmemory": "0"})
    got = run(capsys, monkeypatch, server, conf, settings={"maxmemory": "256mb"})
    assert got["changed_keys"] == ["maxmemory"] and not got["restart_required"]
    assert ("CONFIG SET", "maxmemory", "256mb") in server.commands
    assert "maxmemory 256mb" in conf.read_text()


def test_a_setting_redis_cannot_change_live_asks_for_a_restart(capsys, monkeypatch, conf: Path) -> None:
    server = FakeRedis({})
    got = run(capsys, monkeypatch, server, conf, settings={"logfile": "/var/log/redis/b.log"})
    assert got["restart_keys"] == ["logfile"] and got["restart_required"]


def test_an_immutable_refusal_becomes_a_restart(capsys, monkeypatch, conf: Path) -> None:
    server = FakeRedis({"maxmemory": "0"}, immutable=("maxmemory",))
    got = run(capsys, monkeypatch, server, conf, settings={"maxmemory": "1gb"})
    assert got["restart_keys"] == ["maxmemory"]


def test_a_replica_is_pointed_at_the_live_master(capsys, monkeypatch, conf: Path) -> None:
    server = FakeRedis({}, role="master")
    got = run(capsys, monkeypatch, server, conf, settings={}, replicaof={"host": "10.0.0.12", "port": 6379})
    assert got["replication_changed"] and ("REPLICAOF", "10.0.0.12", "6379") in server.commands


def test_a_replica_of_the_right_master_is_left_alone(capsys, monkeypatch, conf: Path) -> None:
    server = FakeRedis({}, role="slave")
    got = run(capsys, monkeypatch, server, conf, settings={}, replicaof={"host": "10.0.0.11", "port": 6379})
    assert not got["replication_changed"] and server.commands == []


def test_server_down_compares_the_file_only(capsys, monkeypatch, conf: Path) -> None:
    got = run(capsys, monkeypatch, None, conf, settings={"maxmemory": "1gb"})
    assert got["changed_keys"] == ["maxmemory"] and not got["live"] and not got["restart_required"]


def test_check_mode_writes_and_sets_nothing(capsys, monkeypatch, conf: Path) -> None:
    before = conf.read_text()
    server = FakeRedis({"maxmemory": "0"})
    got = run(capsys, monkeypatch, server, conf, check=True, settings={"maxmemory": "1gb"})
    assert got["changed"] and conf.read_text() == before and server.commands == []


def test_check_mode_without_python3_redis_compares_the_file(capsys, monkeypatch, conf: Path) -> None:
    monkeypatch.setattr(redis_config, "HAS_REDIS", False)
    got = run(capsys, monkeypatch, FakeRedis({}), conf, check=True, settings={"maxmemory": "1gb"})
    assert got["changed_keys"] == ["maxmemory"] and not got["live"]


def test_without_python3_redis_a_real_run_says_what_is_missing(capsys, monkeypatch, conf: Path) -> None:
    monkeypatch.setattr(redis_config, "HAS_REDIS", False)
    got = run(capsys, monkeypatch, FakeRedis({}), conf, settings={})
    assert got["failed"] and "redis" in got["msg"]


def test_the_password_never_reaches_the_output(capsys, monkeypatch, conf: Path) -> None:
    got = run(capsys, monkeypatch, FakeRedis({}), conf, settings={"requirepass": PASSWORD, "masterauth": PASSWORD})
    assert PASSWORD not in json.dumps(got)


# --- secret_settings and failure messages (issue 12): no secret, no part of a line, ever ---

SECRET = "s3cr3t p@ss \"q'x\\y #1"


class Refusing(FakeRedis):
    """A server whose CONFIG SET error quotes the value it was given."""

    def config_set(self, key: str, value: str) -> None:
        raise Exception(f"ERR CONFIG SET failed (possibly related to argument '{key}') - bad value '{value}'")


def _fragments(secret: str, size: int = 4) -> list[str]:
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def _shows_no_part_of(secret: str, output: dict[str, Any]) -> bool:
    text = json.dumps(output, ensure_ascii=False)
    return not any(part in text for part in _fragments(secret))


def test_secret_settings_are_merged_over_settings(capsys, monkeypatch, conf: Path) -> None:
    server = FakeRedis({"requirepass": PASSWORD, "maxmemory": "0"})
    got = run(
        capsys,
        monkeypatch,
        server,
        conf,
        settings={"maxmemory": "0", "requirepass": "placeholder"},
        secret_settings={"requirepass": SECRET, "masterauth": SECRET},
    )
    assert got["changed_keys"] == ["masterauth", "requirepass"]
    assert ("CONFIG SET", "requirepass", SECRET) in server.commands
    written = conf.read_text(encoding="utf-8")
    assert written.count("requirepass") == 1 and "placeholder" not in written
    assert _shows_no_part_of(SECRET, got)


def test_secret_settings_in_sync_change_nothing(capsys, monkeypatch, conf: Path) -> None:
    server = FakeRedis({"requirepass": PASSWORD})
    got = run(capsys, monkeypatch, server, conf, settings={}, secret_settings={"requirepass": PASSWORD})
    assert not got["changed"] and server.commands == []


def test_a_refused_secret_is_not_echoed(capsys, monkeypatch, conf: Path) -> None:
    server = Refusing({"masterauth": ""})
    got = run(capsys, monkeypatch, server, conf, settings={}, secret_settings={"masterauth": SECRET})
    assert got["failed"] and "masterauth" in got["msg"]
    assert _shows_no_part_of(SECRET, got)


def test_a_refused_plain_value_is_not_echoed_either(capsys, monkeypatch, conf: Path) -> None:
    got = run(capsys, monkeypatch, Refusing({"masteruser": ""}), conf, settings={"masteruser": SECRET})
    assert got["failed"] and "masteruser" in got["msg"]
    # (settings is not no_log: its values are in the invocation Ansible shows with -vvv)
    assert _shows_no_part_of(SECRET, {"msg": got["msg"]})


def test_an_unreadable_line_is_named_not_quoted(capsys, monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "redis.conf"
    path.write_text(f'port 6379\nrequirepass "{SECRET[:10]}\nmaxmemory 0\n', encoding="utf-8")
    got = run(capsys, monkeypatch, FakeRedis({}), path, settings={"maxmemory": "1mb"})
    assert got["failed"] and "line 2" in got["msg"] and "requirepass" in got["msg"]
    assert _shows_no_part_of(SECRET[:10], got)


@pytest.mark.parametrize(
    "settings, secret_settings",
    [
        ({"maxmemory\nport": "1"}, {}),
        ({"masteruser": "a\nb"}, {}),
        ({}, {"requirepass": f"{SECRET}\nrename-command CONFIG x"}),
        ({}, {"masterauth": f"{SECRET}\r"}),
        ({}, {"masterauth": f"{SECRET}\0"}),
    ],
)
def test_line_breaks_fail_before_anything_changes(
    capsys, monkeypatch, conf: Path, settings: dict[str, Any], secret_settings: dict[str, Any]
) -> None:
    before = conf.read_text()
    server = FakeRedis({})
    got = run(capsys, monkeypatch, server, conf, settings=settings, secret_settings=secret_settings)
    assert got["failed"] and conf.read_text() == before and server.commands == []
    assert _shows_no_part_of(SECRET, got)


def test_a_replicaof_host_with_a_newline_is_refused(capsys, monkeypatch, conf: Path) -> None:
    got = run(capsys, monkeypatch, FakeRedis({}), conf, settings={}, replicaof={"host": "10.0.0.1\nport 1"})
    assert got["failed"] and "replicaof" in got["msg"]


@pytest.mark.parametrize("key", ["masterauth", "primaryauth", "requirepass"])
def test_replication_password_is_secret_under_either_engines_name(key: str) -> None:
    """Valkey rewrites masterauth as primaryauth (issue 16): the role sends that name there, and its
    value is as secret as masterauth's."""
    params = {"password": "admin", "settings": {key: "s3cret value", "port": 6379}, "secret_settings": {}}
    assert "s3cret value" in redis_config.secret_values(params)


TLS_FILES = {
    "tls-ca-cert-file": "/etc/redis/tls/ca.crt",
    "tls-cert-file": "/etc/redis/tls/node.crt",
    "tls-key-file": "/etc/redis/tls/node.key",
}


def test_reload_sets_the_unchanged_tls_files_again_in_one_command(capsys, monkeypatch, conf: Path) -> None:
    # A rotation: new files under the same paths; Redis re-reads them on CONFIG SET of those paths.
    conf.write_text(conf.read_text() + "".join(f"{k} {v}\n" for k, v in TLS_FILES.items()))
    server = FakeRedis(dict(TLS_FILES))
    got = run(capsys, monkeypatch, server, conf, settings=dict(TLS_FILES), reload=[*TLS_FILES, "tls-dh-params-file"])
    assert got["changed"] and got["reloaded_keys"] == list(TLS_FILES) and got["changed_keys"] == []
    flat = [x for k, v in TLS_FILES.items() for x in (k, v)]
    assert server.commands == [("CONFIG", "SET", *flat)]


def test_reload_sends_nothing_in_check_mode_or_without_a_server(capsys, monkeypatch, conf: Path) -> None:
    server = FakeRedis(dict(TLS_FILES))
    got = run(capsys, monkeypatch, server, conf, check=True, settings=dict(TLS_FILES), reload=list(TLS_FILES))
    assert got["changed"] and server.commands == []
    got = run(capsys, monkeypatch, None, conf, settings=dict(TLS_FILES), reload=list(TLS_FILES))
    assert got["reloaded_keys"] == []


def test_tls_options_reach_the_connection(capsys, monkeypatch, conf: Path) -> None:
    seen: dict[str, Any] = {}
    server = FakeRedis({"maxmemory": "0"})

    def connect(host: str, port: int, password: str | None, timeout: float, **kw: Any) -> Any:
        seen.update(kw)
        return server

    monkeypatch.setattr(redis_config, "connect", connect)
    args = {"path": str(conf), "password": PASSWORD, "settings": {"maxmemory": "0"}, "tls": True,
            "tls_ca_file": "/ca.crt", "tls_cert_file": "/n.crt", "tls_key_file": "/n.key"}  # fmt: skip
    with patch_module_args(args), pytest.raises(SystemExit):
        redis_config.main()
    assert json.loads(capsys.readouterr().out)["changed"] is False
    assert seen == {"tls": {"ca": "/ca.crt", "cert": "/n.crt", "key": "/n.key"}}


def test_a_move_to_tls_opens_the_tls_port_through_the_plaintext_one(capsys, monkeypatch, conf: Path) -> None:
    """A plaintext server (its TLS port not open yet) is reached on plaintext_port without TLS, and gets
    the TLS files before tls-port; plaintext stays open (port unchanged)."""
    seen: list[tuple[int, bool]] = []
    server = FakeRedis({"port": "6379", "tls-port": "0", **{k: "" for k in TLS_FILES}})

    def connect(host: str, port: int, password: str | None, timeout: float, **kw: Any) -> Any:
        seen.append((port, "tls" in kw))
        if "tls" in kw:
            return Failing(ConnectionError(f"Error 111 connecting to 127.0.0.1:{port}. Connection refused."))
        return server

    monkeypatch.setattr(redis_config, "connect", connect)
    args = {"path": str(conf), "password": PASSWORD, "port": 6380, "plaintext_port": 6379, "tls": True,
            "settings": {**TLS_FILES, "tls-port": 6380, "port": 6379}}  # fmt: skip
    with patch_module_args(args), pytest.raises(SystemExit):
        redis_config.main()
    got = json.loads(capsys.readouterr().out)
    assert got["live"] and got["changed_keys"] == sorted([*TLS_FILES, "tls-port"])
    assert seen == [(6380, True), (6379, False)]
    assert [c[1] for c in server.commands] == [*TLS_FILES, "tls-port"]
    # Without plaintext_port, a server whose TLS port does not answer counts as not running.
    seen.clear()
    with patch_module_args({**args, "plaintext_port": 0}), pytest.raises(SystemExit):
        redis_config.main()
    assert json.loads(capsys.readouterr().out)["live"] is False and seen == [(6380, True)]
