"""supervisor_program: one run writes the program file or makes sure the program runs, never both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.hakit.redis.plugins.modules import supervisor_program


class FakeCtl:
    """supervisorctl as the module sees it: replies per sub-command, and a log of the calls."""

    def __init__(self, status: tuple[int, str]) -> None:
        self.status = status
        self.calls: list[str] = []

    def __call__(self, module: AnsibleModule, *args: str) -> tuple[int, str]:
        self.calls.append(args[0])
        return self.status if args[0] == "status" else (0, f"{args[-1]}: started")


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, ctl: FakeCtl, check: bool = False, **args: Any
) -> dict[str, Any]:
    monkeypatch.setattr(supervisor_program, "supervisorctl", ctl)
    with patch_module_args({**args, "_ansible_check_mode": check}), pytest.raises(SystemExit):
        supervisor_program.main()
    return json.loads(capsys.readouterr().out)


def test_new_file_asks_for_update_and_touches_no_process(tmp_path: Path, capsys, monkeypatch) -> None:
    ctl = FakeCtl((4, "redis-server: ERROR (no such process)"))
    got = run(capsys, monkeypatch, ctl, name="redis-server", content="[program:redis-server]\n", conf_dir=str(tmp_path))
    assert got["changed"] and got["needs_update"] and not got["started"]
    assert (tmp_path / "redis-server.conf").read_text() == "[program:redis-server]\n"
    assert ctl.calls == []


def test_running_program_with_same_file_changes_nothing(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "p.conf").write_text("x\n")
    ctl = FakeCtl((0, "p  RUNNING   pid 12, uptime 0:01:00"))
    got = run(capsys, monkeypatch, ctl, name="p", content="x\n", conf_dir=str(tmp_path))
    assert not got["changed"] and not got["needs_update"] and ctl.calls == ["status"]


@pytest.mark.parametrize("state", ["STARTING", "RUNNING"])
def test_starting_counts_as_running(tmp_path: Path, capsys, monkeypatch, state: str) -> None:
    (tmp_path / "p.conf").write_text("x\n")
    ctl = FakeCtl((0, f"p  {state}"))
    assert not run(capsys, monkeypatch, ctl, name="p", content="x\n", conf_dir=str(tmp_path))["changed"]


def test_stopped_program_is_started(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "p.conf").write_text("x\n")
    ctl = FakeCtl((3, "p  STOPPED   Nov 30 12:00 PM"))
    got = run(capsys, monkeypatch, ctl, name="p", content="x\n", conf_dir=str(tmp_path))
    assert got["changed"] and got["started"] and ctl.calls == ["status", "start"]


def test_check_mode_starts_nothing(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "p.conf").write_text("x\n")
    ctl = FakeCtl((3, "p  STOPPED"))
    got = run(capsys, monkeypatch, ctl, check=True, name="p", content="x\n", conf_dir=str(tmp_path))
    assert got["changed"] and ctl.calls == ["status"]


def test_an_unknown_supervisorctl_error_is_a_clear_error(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "p.conf").write_text("x\n")
    ctl = FakeCtl((1, "Error: .ini file does not include supervisorctl section"))
    got = run(capsys, monkeypatch, ctl, name="p", content="x\n", conf_dir=str(tmp_path))
    assert got["failed"] and "Is supervisord running?" in got["msg"]


def test_absent_removes_the_file_and_asks_for_update(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "p.conf").write_text("x\n")
    got = run(capsys, monkeypatch, FakeCtl((0, "")), name="p", state="absent", conf_dir=str(tmp_path))
    assert got["needs_update"] and not (tmp_path / "p.conf").exists()


def test_a_stopped_supervisord_is_started_first(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "p.conf").write_text("x\n")
    replies = [(2, "unix:///var/run/supervisor.sock no such file"), (0, "p  RUNNING")]
    ctl = FakeCtl((0, ""))
    ctl.status = replies[0]

    def fake(module: AnsibleModule, *args: str) -> tuple[int, str]:
        ctl.calls.append(args[0])
        return replies.pop(0) if args[0] == "status" else (0, "")

    services: list[list[str]] = []
    monkeypatch.setattr(AnsibleModule, "run_command", lambda self, cmd, **kw: (services.append(cmd), (0, "", ""))[1])
    got = run(capsys, monkeypatch, fake, name="p", content="x\n", conf_dir=str(tmp_path))
    assert services == [["service", "supervisor", "start"]]
    assert got["changed"] and got["started"] and ctl.calls == ["status", "status"]
