"""supervisor_program: one run writes the program file or makes sure the program runs, never both.
Against a real supervisord (tests/unit/plugins/supervisord_fixture.py)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from ansible.module_utils.basic import AnsibleModule
from module_args import patch_module_args
from supervisord_fixture import Supervisord

from ansible_collections.hakit.redis.plugins.modules import supervisor_program


def run(capsys: pytest.CaptureFixture[str], sv: Supervisord, check: bool = False, **args: Any) -> dict[str, Any]:
    args = {"conf_dir": str(sv.conf_dir), "config_path": str(sv.config), **args}
    with patch_module_args({**args, "_ansible_check_mode": check}), pytest.raises(SystemExit):
        supervisor_program.main()
    return json.loads(capsys.readouterr().out)


def test_new_file_asks_for_update_and_touches_no_process(supervisord: Supervisord, capsys) -> None:
    content = supervisord.program("fresh")
    got = run(capsys, supervisord, name="fresh", content=content)
    assert got["changed"] and got["needs_update"] and not got["started"]
    assert (supervisord.conf_dir / "fresh.conf").read_text() == content
    assert "no such process" in supervisord.ctl("status", "fresh").lower()


def test_running_program_with_same_file_changes_nothing(supervisord: Supervisord, capsys) -> None:
    got = run(capsys, supervisord, name="sleeper", content=supervisord.program("sleeper"))
    assert not got["changed"] and not got["needs_update"] and got["status"] == "RUNNING"


def test_stopped_program_is_started(supervisord: Supervisord, capsys) -> None:
    supervisord.ctl("stop", "sleeper")
    got = run(capsys, supervisord, name="sleeper", content=supervisord.program("sleeper"))
    assert got["changed"] and got["started"] and got["status"] == "STOPPED"
    assert "RUNNING" in supervisord.ctl("status", "sleeper")


def test_check_mode_starts_nothing(supervisord: Supervisord, capsys) -> None:
    supervisord.ctl("stop", "sleeper")
    got = run(capsys, supervisord, check=True, name="sleeper", content=supervisord.program("sleeper"))
    assert got["changed"] and "STOPPED" in supervisord.ctl("status", "sleeper")


def test_a_file_supervisord_does_not_know_asks_for_update(supervisord: Supervisord, capsys) -> None:
    content = supervisord.write_program("later").read_text()
    got = run(capsys, supervisord, name="later", content=content)
    assert not got["changed"] and got["needs_update"]


def test_absent_removes_the_file_and_asks_for_update(supervisord: Supervisord, capsys) -> None:
    got = run(capsys, supervisord, name="sleeper", state="absent")
    assert got["needs_update"] and not (supervisord.conf_dir / "sleeper.conf").exists()


def test_a_stopped_supervisord_is_started_first(supervisord: Supervisord, capsys, monkeypatch) -> None:
    supervisord.stop()
    services: list[list[str]] = []

    def service(self: AnsibleModule, cmd: list[str], **kw: Any) -> tuple[int, str, str]:
        services.append(cmd)
        supervisord.start()
        return 0, "", ""

    monkeypatch.setattr(AnsibleModule, "run_command", service)
    got = run(capsys, supervisord, name="sleeper", content=supervisord.program("sleeper"))
    assert services == [["service", "supervisor", "start"]]
    assert got["changed"] and got["started"]


def test_query_reports_every_program_file_and_state(supervisord: Supervisord, capsys) -> None:
    supervisord.write_program("later")
    supervisord.ctl("stop", "sleeper")
    got = run(capsys, supervisord, state="query")
    want_sha = hashlib.sha1(supervisord.program("sleeper").encode()).hexdigest()
    assert not got["changed"]
    assert got["programs"] == {
        "later": {"sha1": hashlib.sha1(supervisord.program("later").encode()).hexdigest(), "state": "unknown"},
        "sleeper": {"sha1": want_sha, "state": "STOPPED"},
    }


def test_query_without_supervisord_says_unreachable(supervisord: Supervisord, capsys) -> None:
    supervisord.stop()
    got = run(capsys, supervisord, state="query")
    assert got["programs"]["sleeper"]["state"] == "unreachable"
