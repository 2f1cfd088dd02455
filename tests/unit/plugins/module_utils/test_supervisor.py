"""_supervisor: supervisord's XML-RPC calls, against a real supervisord."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from supervisord_fixture import Supervisord, wait_state

from ansible_collections.hakit.redis.plugins.module_utils import _supervisor
from ansible_collections.hakit.redis.plugins.module_utils._supervisor import Supervisor, Unreachable, socket_path


def client(sv: Supervisord) -> Supervisor:
    return Supervisor(socket_path(str(sv.config)))


def test_socket_path_follows_supervisorctl(tmp_path: Path) -> None:
    conf = tmp_path / "s.conf"
    conf.write_text("[unix_http_server]\nfile=/a.sock\n[supervisorctl]\nserverurl=unix:///b%%c.sock\n")
    assert socket_path(str(conf)) == "/b%c.sock"
    conf.write_text("[unix_http_server]\nfile=/a.sock\n")
    assert socket_path(str(conf)) == "/a.sock"
    assert socket_path(str(tmp_path / "missing.conf")) == _supervisor.DEFAULT_SOCKET


def test_no_supervisord_is_unreachable(tmp_path: Path) -> None:
    with pytest.raises(Unreachable, match="does not answer"):
        Supervisor(str(tmp_path / "none.sock")).state("x")


def test_state_start_stop_restart(supervisord: Supervisord) -> None:
    sv = client(supervisord)
    assert sv.state("sleeper") == "RUNNING"
    assert sv.state("nosuch") is None
    assert sv.start("sleeper") is False
    pid = sv.call("getProcessInfo", "sleeper")["pid"]
    sv.restart("sleeper")
    assert sv.state("sleeper") == "RUNNING" and sv.call("getProcessInfo", "sleeper")["pid"] != pid
    assert sv.stop("sleeper") is True and sv.state("sleeper") == "STOPPED"
    assert sv.stop("sleeper") is False
    assert sv.signal("sleeper", "HUP") is False
    assert sv.start("sleeper") is True and sv.state("sleeper") == "RUNNING"


def test_signal_reaches_the_process(supervisord: Supervisord) -> None:
    sv = client(supervisord)
    assert sv.signal("sleeper", "TERM") is True
    wait_state(supervisord, "sleeper", "EXITED")


def test_update_touches_only_that_program(supervisord: Supervisord) -> None:
    sv = client(supervisord)
    supervisord.write_program("other")
    supervisord.write_program("third")
    assert sv.update("other") is True
    wait_state(supervisord, "other", "RUNNING")
    assert sv.state("third") is None, "update NAME must not add other new programs"
    pid = sv.call("getProcessInfo", "sleeper")["pid"]
    supervisord.write_program("sleeper", command="sleep 601")
    assert sv.update("sleeper") is True
    wait_state(supervisord, "sleeper", "RUNNING")
    assert sv.call("getProcessInfo", "sleeper")["pid"] != pid
    assert sv.update("sleeper") is False
    (supervisord.conf_dir / "other.conf").unlink()
    assert sv.update("other") is True and sv.state("other") is None


def test_stale_pidfile_only_when_the_pid_is_no_supervisord(tmp_path: Path) -> None:
    conf = tmp_path / "s.conf"
    pidfile = tmp_path / "supervisord.pid"
    conf.write_text(f"[supervisord]\npidfile={pidfile}\n")
    assert _supervisor.stale_pidfile(str(conf)) is None  # no pid file: nothing to remove
    pidfile.write_text(f"{os.getpid()}\n")  # alive, but pytest, not supervisord
    assert _supervisor.stale_pidfile(str(conf)) == str(pidfile)
    pidfile.write_text("999999999\n")  # no such process
    assert _supervisor.stale_pidfile(str(conf)) == str(pidfile)
    pidfile.write_text("garbage\n")
    assert _supervisor.stale_pidfile(str(conf)) == str(pidfile)


def test_a_live_supervisord_pidfile_is_not_stale(supervisord: Supervisord) -> None:
    assert _supervisor.stale_pidfile(str(supervisord.config)) is None
