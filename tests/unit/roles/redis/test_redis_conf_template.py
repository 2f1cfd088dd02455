"""redis.conf.j2 (issue 12): every setting, redis_extra_settings included, quoted as Redis reads it
back; a bad directive name or a line break refused with the directive's name, never the value."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hakit_loopback import daemon, free_port, have
from hakit_templates import HOSTILE, LINE_BREAKS, render_template

from ansible_collections.hakit.redis.plugins.module_utils import _redis_conf as conf

SECRET = "p@ss w0rd:#$/\"q'x\\y"
NON_ASCII = "é ü 中文 \u00a0nbsp \u2028sep \x1b[0m"


def _render(settings: dict[str, Any], secret: dict[str, Any] | None = None, replicaof: Any = None) -> str:
    variables = {
        "__redis_marker": "hakit.redis: first written by Ansible",
        "__redis_settings": settings,
        "__redis_secret_settings": secret or {},
        "__redis_replicaof": replicaof,
    }
    return render_template("redis", "redis.conf.j2", variables)


@pytest.mark.parametrize("value", HOSTILE)
def test_extra_settings_read_back_unchanged(value: str) -> None:
    text = _render({"masteruser": value, "save": [value, "1"]}, {"masterauth": value})
    parsed = conf.parse(text)
    assert parsed["masteruser"][0][1] == [value]
    assert parsed["masterauth"][0][1] == [value]
    assert parsed["save"][0][1] == [value, "1"]


def test_replicaof_is_quoted_too() -> None:
    text = _render({}, replicaof={"host": "10.0.0.1", "port": 6380})
    assert conf.parse(text)["replicaof"][0][1] == ["10.0.0.1", "6380"]


@pytest.mark.parametrize("value", LINE_BREAKS)
def test_a_line_break_in_a_value_is_refused_naming_the_directive(value: str) -> None:
    with pytest.raises(Exception, match="directive 'masterauth' contains") as err:
        _render({}, {"masterauth": SECRET + value})
    assert SECRET not in str(err.value) and "w0rd" not in str(err.value)


@pytest.mark.parametrize("key", ["maxmemory\nrename-command CONFIG x", "max memory", "#x", "x=1", "ü"])
def test_a_bad_directive_name_is_refused(key: str) -> None:
    with pytest.raises(Exception, match="invalid directive name"):
        _render({key: "1"})


@pytest.mark.skipif(not have("redis-server"), reason="redis-server is not installed")
def test_real_redis_server_reads_the_rendered_file(tmp_path: Path) -> None:
    workdir = tmp_path / "d ir \"q'x\\y #1 $HOME %(here)s é"
    workdir.mkdir()
    port = free_port()
    settings = {
        "bind": ["127.0.0.1"],
        "port": port,
        "daemonize": False,
        "dir": str(workdir),
        "logfile": str(workdir / "redis #1.log"),
        "save": "",
        "appendonly": False,
        "masteruser": SECRET,
        "replica-announce-ip": NON_ASCII,
    }
    path = tmp_path / "redis.conf"
    path.write_text(_render(settings, {"masterauth": SECRET}), encoding="utf-8")
    with daemon(["redis-server", str(path)], port, tmp_path / "stdout.log") as proc:
        assert os.readlink(f"/proc/{proc.pid}/cwd") == str(workdir)
        redis = pytest.importorskip("redis")
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5, decode_responses=True)
        try:
            assert client.config_get("masterauth")["masterauth"] == SECRET
            assert client.config_get("masteruser")["masteruser"] == SECRET
            assert client.config_get("replica-announce-ip")["replica-announce-ip"] == NON_ASCII
        finally:
            client.close()
    assert (workdir / "redis #1.log").exists()
