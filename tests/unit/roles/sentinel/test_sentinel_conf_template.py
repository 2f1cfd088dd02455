"""sentinel.conf.j2 (issue 12): every user value quoted as Sentinel reads it back, line breaks refused.

Rendered by Ansible's Templar with the collection's filters; read back with the module's
sdssplitargs and, where redis-sentinel is installed, by a real Sentinel on loopback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hakit_loopback import daemon, free_port, have
from hakit_templates import HOSTILE, LINE_BREAKS, render_template

from ansible_collections.hakit.redis.plugins.module_utils import _redis_conf as conf


def _vars(**over: Any) -> dict[str, Any]:
    base = {
        "__sentinel_marker": "hakit.redis: first written by Ansible",
        "__sentinel_service_manager": "supervisor",
        "__sentinel_acl_lines": ["user default on nopass ~* &* +@all"],
        "__sentinel_peer_pass": "",
        "__sentinel_peer_user": "hakit-peer",
        "__redis_live_master": {"ip": "127.0.0.1"},
        "sentinel_port": 26379,
        "sentinel_bind": ["127.0.0.1"],
        "sentinel_logfile": "/var/log/redis/redis-sentinel.log",
        "sentinel_dir": "/var/lib/redis",
        "sentinel_announce_ip": "127.0.0.1",
        "sentinel_master_name": "mymaster",
        "sentinel_redis_port": 6379,
        "sentinel_quorum": 2,
        "sentinel_auth_user": "",
        "sentinel_auth_pass": "",
        "sentinel_down_after_ms": 5000,
        "sentinel_failover_timeout_ms": 60000,
        "sentinel_parallel_syncs": 1,
    }
    return {**base, **over}


def _render(**over: Any) -> str:
    return render_template("sentinel", "sentinel.conf.j2", _vars(**over))


def _sentinel_args(text: str, sub: str) -> list[list[str]]:
    return [args[1:] for _i, args in conf.parse(text).get("sentinel", []) if args and args[0] == sub]


@pytest.mark.parametrize("value", HOSTILE)
def test_logfile_and_dir_read_back_unchanged(value: str) -> None:
    text = _render(sentinel_logfile=value, sentinel_dir=value)
    parsed = conf.parse(text)
    assert parsed["logfile"][0][1] == [value]
    assert parsed["dir"][0][1] == [value]


@pytest.mark.parametrize("value", HOSTILE)
def test_announce_ip_and_bind_read_back_unchanged(value: str) -> None:
    text = _render(sentinel_announce_ip=value, sentinel_bind=[value, "127.0.0.1"])
    assert _sentinel_args(text, "announce-ip") == [[value]]
    assert conf.parse(text)["bind"][0][1] == [value, "127.0.0.1"]


def test_the_monitor_lines_keep_their_arguments() -> None:
    text = _render(sentinel_master_name="m.1_x-y", sentinel_quorum="2", sentinel_redis_port="6380")
    assert _sentinel_args(text, "monitor") == [["m.1_x-y", "127.0.0.1", "6380", "2"]]
    assert _sentinel_args(text, "parallel-syncs") == [["m.1_x-y", "1"]]


@pytest.mark.parametrize(
    "variable, directive",
    [
        ("sentinel_logfile", "logfile"),
        ("sentinel_dir", "dir"),
        ("sentinel_announce_ip", "sentinel"),
        ("sentinel_master_name", "sentinel"),
        ("sentinel_port", "port"),
    ],
)
@pytest.mark.parametrize("value", LINE_BREAKS)
def test_line_breaks_are_refused_naming_the_directive(variable: str, directive: str, value: str) -> None:
    with pytest.raises(Exception, match=f"directive '{directive}' contains") as err:
        _render(**{variable: value})
    assert "port 1" not in str(err.value)


def test_bind_with_a_line_break_is_refused() -> None:
    with pytest.raises(Exception, match="directive 'bind' contains a newline"):
        _render(sentinel_bind=["127.0.0.1\nport 1"])


# --- A real redis-sentinel on loopback reads the rendered file (skipped where not installed) ---

HOSTILE_DIR = "sp ace \"q'x\\y #1 $HOME %(here)s é"


@pytest.mark.skipif(not have("redis-sentinel"), reason="redis-sentinel is not installed")
def test_real_sentinel_starts_in_the_hostile_dir_and_logfile(tmp_path: Path) -> None:
    workdir = tmp_path / HOSTILE_DIR
    workdir.mkdir()
    logfile = workdir / "sentinel #log; 'x'.log"
    port = free_port()
    text = _render(
        sentinel_port=port,
        sentinel_dir=str(workdir),
        sentinel_logfile=str(logfile),
        sentinel_redis_port=free_port() + 1,  # nothing listens there: only the file is tested
        sentinel_quorum=1,
    )
    path = tmp_path / "sentinel.conf"
    path.write_text(text, encoding="utf-8")
    with daemon(["redis-sentinel", str(path)], port, tmp_path / "stdout.log") as proc:
        assert os.readlink(f"/proc/{proc.pid}/cwd") == str(workdir)
        assert logfile.exists()
    # Sentinel rewrote the file at start (CONFIG REWRITE quoting): still the same values.
    parsed = conf.parse(path.read_text(encoding="utf-8"))
    assert parsed["dir"][-1][1] == [str(workdir)]
    assert parsed["logfile"][-1][1] == [str(logfile)]


def test_tls_lines_only_with_redis_tls() -> None:
    assert "tls-port" not in _render() and conf.parse(_render())["port"][0][1] == ["26379"]
    text = _render(
        __sentinel_tls=True,
        __sentinel_tls_ca="/etc/redis/tls/ca.crt",
        __sentinel_tls_cert="/etc/redis/tls/node.crt",
        __sentinel_tls_key="/etc/redis/tls/node.key",
        __sentinel_tls_auth="yes",
    )
    parsed = conf.parse(text)
    assert parsed["port"][0][1] == ["0"] and parsed["tls-port"][0][1] == ["26379"]
    assert parsed["tls-replication"][0][1] == ["yes"] and parsed["tls-auth-clients"][0][1] == ["yes"]


@pytest.mark.skipif(not have("redis-sentinel"), reason="redis-sentinel is not installed")
def test_real_sentinel_answers_on_its_tls_port_only(tmp_path: Path) -> None:
    from hakit_certs import make_ca, make_cert, write_set

    from ansible_collections.hakit.redis.plugins.module_utils._client import ssl_context
    from ansible_collections.hakit.redis.plugins.module_utils._resp import query

    ca = make_ca()
    files = write_set(tmp_path / "tls", "node", ca, make_cert(ca, "node", ips=["127.0.0.1"]))
    port = free_port()
    text = _render(
        sentinel_port=port,
        sentinel_dir=str(tmp_path),
        sentinel_logfile="",
        sentinel_redis_port=free_port() + 1,
        sentinel_quorum=1,
        __sentinel_tls=True,
        __sentinel_tls_ca=files["ca"],
        __sentinel_tls_cert=files["cert"],
        __sentinel_tls_key=files["key"],
        __sentinel_tls_auth="yes",
    )
    path = tmp_path / "sentinel.conf"
    path.write_text(text, encoding="utf-8")
    with daemon(["redis-sentinel", str(path)], port, tmp_path / "stdout.log"):
        assert query("127.0.0.1", port, [["PING"]], tls=ssl_context(files)) == ["PONG"]
        with pytest.raises(OSError):
            query("127.0.0.1", port, [["PING"]])
