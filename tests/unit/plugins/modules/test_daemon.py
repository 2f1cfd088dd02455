"""daemon: the one entry point to start, restart, signal or update a daemon (supervisor or systemd)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from ansible.module_utils.basic import AnsibleModule
from module_args import patch_module_args
from supervisord_fixture import Supervisord, wait_state

from ansible_collections.hakit.redis.plugins.modules import daemon


def run(capsys: pytest.CaptureFixture[str], check: bool = False, **args: Any) -> dict[str, Any]:
    with patch_module_args({**args, "_ansible_check_mode": check}), pytest.raises(SystemExit):
        daemon.main()
    return json.loads(capsys.readouterr().out)


def sv_run(capsys: pytest.CaptureFixture[str], sv: Supervisord, check: bool = False, **args: Any) -> dict[str, Any]:
    return run(capsys, check=check, manager="supervisor", config_path=str(sv.config), **args)


def pid(sv: Supervisord, name: str = "sleeper") -> str:
    return sv.ctl("status", name).split("pid ")[-1].split(",")[0]


def test_started_running_program_changes_nothing(supervisord: Supervisord, capsys) -> None:
    got = sv_run(capsys, supervisord, name="sleeper")
    assert not got["changed"] and got["action"] == "none" and got["before"] == "RUNNING"


def test_started_starts_a_stopped_program(supervisord: Supervisord, capsys) -> None:
    supervisord.ctl("stop", "sleeper")
    got = sv_run(capsys, supervisord, name="sleeper")
    assert got["changed"] and got["action"] == "start" and "RUNNING" in supervisord.ctl("status", "sleeper")


def test_restart_gives_a_new_process(supervisord: Supervisord, capsys) -> None:
    before = pid(supervisord)
    got = sv_run(capsys, supervisord, name="sleeper", state="restarted")
    assert got["changed"] and got["action"] == "restart" and pid(supervisord) != before


def test_reloaded_signals_a_running_program_only(supervisord: Supervisord, capsys) -> None:
    got = sv_run(capsys, supervisord, name="sleeper", state="reloaded", signal="TERM")
    assert got["changed"] and got["action"] == "signal"
    wait_state(supervisord, "sleeper", "EXITED")
    got = sv_run(capsys, supervisord, name="sleeper", state="reloaded")
    assert not got["changed"] and got["action"] == "none"


def test_check_mode_reports_and_does_nothing(supervisord: Supervisord, capsys) -> None:
    before = pid(supervisord)
    got = sv_run(capsys, supervisord, check=True, name="sleeper", state="restarted")
    assert got["changed"] and got["action"] == "restart" and pid(supervisord) == before


def test_updated_applies_a_new_program(supervisord: Supervisord, capsys) -> None:
    supervisord.write_program("fresh")
    got = sv_run(capsys, supervisord, name="fresh", state="updated")
    assert got["changed"] and got["action"] == "update" and got["before"] == "unknown"
    wait_state(supervisord, "fresh", "RUNNING")
    assert not sv_run(capsys, supervisord, name="fresh", state="updated")["changed"]


def test_an_unknown_program_is_a_clear_error(supervisord: Supervisord, capsys) -> None:
    got = sv_run(capsys, supervisord, name="nosuch", state="restarted")
    assert got["failed"] and "has no program nosuch" in got["msg"]


def test_a_stopped_supervisord_is_started_first(supervisord: Supervisord, capsys, monkeypatch) -> None:
    supervisord.stop()
    calls: list[list[str]] = []

    def service(self: AnsibleModule, cmd: list[str], **kw: Any) -> tuple[int, str, str]:
        calls.append(cmd)
        supervisord.start()
        return 0, "", ""

    monkeypatch.setattr(AnsibleModule, "run_command", service)
    got = sv_run(capsys, supervisord, name="sleeper", service="supervisor-test")
    assert calls == [["service", "supervisor-test", "start"]]
    assert got["supervisord_started"] and got["before"] in ("RUNNING", "STARTING")


def test_a_supervisord_that_stays_down_is_a_clear_error(supervisord: Supervisord, capsys, monkeypatch) -> None:
    supervisord.stop()
    monkeypatch.setattr(AnsibleModule, "run_command", lambda self, cmd, **kw: (1, "", "no such service"))
    got = sv_run(capsys, supervisord, name="sleeper")
    assert got["failed"] and "does not answer" in got["msg"] and "no such service" in got["msg"]


class FakeSystemctl:
    def __init__(self, active: str = "active", enabled: bool = True) -> None:
        self.active, self.enabled = active, enabled
        self.calls: list[list[str]] = []

    def __call__(self, module: AnsibleModule, cmd: list[str], **kw: Any) -> tuple[int, str, str]:
        self.calls.append(cmd[1:])
        if cmd[1] == "is-active":
            return (0 if self.active == "active" else 3), self.active + "\n", ""
        if cmd[1] == "is-enabled":
            return (0 if self.enabled else 1), "", ""
        return 0, "", ""

    def as_run_command(self) -> Any:
        """A function to patch in as AnsibleModule.run_command (a plain instance would not bind)."""

        def run_command(module: AnsibleModule, cmd: list[str], **kw: Any) -> tuple[int, str, str]:
            return self(module, cmd, **kw)

        return run_command


@pytest.mark.parametrize(
    ("state", "active", "want"),
    [
        ("started", "active", []),
        ("started", "inactive", [["start", "keepalived.service"]]),
        ("restarted", "active", [["restart", "keepalived.service"]]),
        ("reloaded", "active", [["kill", "--signal=HUP", "--kill-whom=main", "keepalived.service"]]),
        ("reloaded", "inactive", []),
        ("stopped", "active", [["stop", "keepalived.service"]]),
    ],
)
def test_systemd_actions(capsys, monkeypatch, state: str, active: str, want: list[list[str]]) -> None:
    fake = FakeSystemctl(active)
    monkeypatch.setattr(AnsibleModule, "run_command", fake.as_run_command())
    got = run(capsys, name="keepalived", manager="systemd", state=state)
    assert [c for c in fake.calls if c[0] != "is-active"] == want
    assert got["changed"] == bool(want)


def test_systemd_enable_and_daemon_reload(capsys, monkeypatch) -> None:
    fake = FakeSystemctl("active", enabled=False)
    monkeypatch.setattr(AnsibleModule, "run_command", fake.as_run_command())
    got = run(capsys, name="redis-server", manager="systemd", enabled=True, daemon_reload=True)
    assert got["changed"] and fake.calls[0] == ["daemon-reload"] and ["enable", "redis-server.service"] in fake.calls


def test_systemd_check_mode_runs_only_queries(capsys, monkeypatch) -> None:
    fake = FakeSystemctl("inactive", enabled=False)
    monkeypatch.setattr(AnsibleModule, "run_command", fake.as_run_command())
    got = run(capsys, check=True, name="redis-server", manager="systemd", enabled=True, daemon_reload=True)
    assert got["changed"] and {c[0] for c in fake.calls} == {"is-active", "is-enabled"}


def test_updated_is_refused_for_systemd(capsys, monkeypatch) -> None:
    fake = FakeSystemctl()
    monkeypatch.setattr(AnsibleModule, "run_command", fake.as_run_command())
    got = run(capsys, name="x", manager="systemd", state="updated")
    assert got["failed"] and "for supervisor programs" in got["msg"]


def test_a_stale_pid_file_is_removed_and_the_start_retried(supervisord: Supervisord, capsys, monkeypatch) -> None:
    """Debian's init script refuses to start supervisord while its pid file names any live process
    (a container restarted with its old /run): the module removes such a file and tries once more."""
    supervisord.stop()
    pidfile = supervisord.root / "supervisord.pid"
    pidfile.write_text(f"{os.getpid()}\n")  # this test's own pid: alive, not a supervisord
    calls: list[list[str]] = []

    def service(self: AnsibleModule, cmd: list[str], **kw: Any) -> tuple[int, str, str]:
        calls.append(cmd)
        if pidfile.exists():
            return 1, "Starting supervisor: process already running.", ""
        supervisord.start()
        return 0, "", ""

    monkeypatch.setattr(AnsibleModule, "run_command", service)
    got = sv_run(capsys, supervisord, name="sleeper")
    assert len(calls) == 2 and got["supervisord_started"], got
    assert "stale supervisord pid file" in str(got.get("warnings")), got


def test_restart_runs_while_stopped_between_the_stop_and_the_start(supervisord: Supervisord, capsys, tmp_path) -> None:
    """A file only the stopped daemon leaves alone (Sentinel's sentinel.conf) is edited in one module run."""
    seen = tmp_path / "state"
    # supervisorctl status exits 3 for a stopped program
    cmd = ["sh", "-c", f"supervisorctl -c {supervisord.config} status sleeper > {seen}; true"]
    before = pid(supervisord)
    got = sv_run(capsys, supervisord, name="sleeper", state="restarted", while_stopped=cmd)
    assert got["changed"] and got["action"] == "restart" and pid(supervisord) != before
    assert "STOPPED" in seen.read_text() and "RUNNING" in supervisord.ctl("status", "sleeper")


def test_a_failing_while_stopped_command_still_starts_the_daemon(supervisord: Supervisord, capsys) -> None:
    got = sv_run(capsys, supervisord, name="sleeper", state="restarted", while_stopped=["sh", "-c", "echo bad; exit 3"])
    assert got["failed"] and "rc 3" in got["msg"] and "bad" in got["msg"]
    assert "RUNNING" in supervisord.ctl("status", "sleeper")


def test_systemd_restart_with_while_stopped(capsys, monkeypatch) -> None:
    fake = FakeSystemctl("active")
    monkeypatch.setattr(AnsibleModule, "run_command", fake.as_run_command())
    got = run(capsys, name="redis-sentinel", manager="systemd", state="restarted", while_stopped=["true", "x"])
    calls = [c for c in fake.calls if c[0] != "is-active"]
    assert got["changed"] and calls == [["stop", "redis-sentinel.service"], ["x"], ["start", "redis-sentinel.service"]]
