"""files: one run writes every file of a role, reports exactly what changed, keeps what daemons wrote."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path
from typing import Any

import pytest
from module_args import patch_module_args

from ansible_collections.hakit.redis.plugins.modules import files

ME = pwd.getpwuid(os.getuid()).pw_name


def run(capsys: pytest.CaptureFixture[str], check: bool = False, diff: bool = False, **args: Any) -> dict[str, Any]:
    args = {**args, "_ansible_check_mode": check, "_ansible_diff": diff}
    with patch_module_args(args), pytest.raises(SystemExit):
        files.main()
    return json.loads(capsys.readouterr().out)


def entry(path: Path, content: str, **kw: Any) -> dict[str, Any]:
    return {"path": str(path), "content": content, "owner": ME, "mode": "0640", **kw}


def test_writes_then_reports_nothing_on_a_rerun(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wanted = [
        {"path": str(tmp_path / "d"), "state": "directory", "mode": "0750"},
        entry(tmp_path / "d" / "a.conf", "a\n"),
    ]
    first = run(capsys, files=wanted)
    assert first["changed"] and first["changed_paths"] == [str(tmp_path / "d"), str(tmp_path / "d" / "a.conf")]
    assert (tmp_path / "d" / "a.conf").read_text() == "a\n"
    assert oct((tmp_path / "d" / "a.conf").stat().st_mode & 0o777) == "0o640"
    again = run(capsys, files=wanted)
    assert not again["changed"] and again["changed_paths"] == [] and again["written_paths"] == []


def test_mode_drift_is_repaired_without_rewriting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.conf"
    run(capsys, files=[entry(path, "a\n")])
    path.chmod(0o644)
    got = run(capsys, files=[entry(path, "a\n")])
    assert got["changed_paths"] == [str(path)] and got["written_paths"] == []
    assert oct(path.stat().st_mode & 0o777) == "0o640"


def test_a_file_the_daemon_owns_is_written_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "redis.conf"
    path.write_text("distro default\n")
    got = run(capsys, secret_files=[entry(path, "# marker\nrequirepass x\n", unless_contains="# marker")])
    assert got["written_paths"] == [str(path)]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith("~")], "the replaced file is kept"
    path.write_text("# marker\nrewritten by redis\n")
    got = run(capsys, secret_files=[entry(path, "# marker\nrequirepass x\n", unless_contains="# marker")])
    assert not got["changed"] and path.read_text() == "# marker\nrewritten by redis\n"


def test_check_mode_reports_and_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.conf"
    got = run(capsys, check=True, diff=True, files=[entry(path, "new\n")])
    assert got["changed_paths"] == [str(path)] and not path.exists()
    assert got["diff"][0]["after"] == "new\n"


def test_secret_contents_never_reach_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = run(capsys, diff=True, secret_files=[entry(tmp_path / "s", "hunter2-secret\n")])
    assert "diff" not in got and "hunter2-secret" not in json.dumps(got)


def test_a_failed_validation_keeps_the_old_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "k.conf"
    path.write_text("good\n")
    got = run(capsys, files=[entry(path, "bad\n", validate="grep -q good %s")])
    assert got["failed"] and "validation failed" in got["msg"]
    assert path.read_text() == "good\n" and sorted(p.name for p in tmp_path.iterdir()) == ["k.conf"]


def test_unknown_owner_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = run(capsys, files=[{"path": str(tmp_path / "x"), "content": "", "owner": "no-such-user-hakit"}])
    assert got["failed"] and "unknown user or group" in got["msg"]


def test_absent_removes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "old.conf"
    path.write_text("x")
    got = run(capsys, files=[{"path": str(path), "state": "absent"}])
    assert got["changed_paths"] == [str(path)] and not path.exists()


def test_check_mode_with_a_user_not_created_yet_reports_the_write(tmp_path: Path, capsys) -> None:
    got = run(
        capsys, check=True, secret_files=[{"path": str(tmp_path / "r.conf"), "content": "x", "owner": "no-such-hakit"}]
    )
    assert got["written_paths"] == [str(tmp_path / "r.conf")] and not (tmp_path / "r.conf").exists()


def test_existing_system_users_are_left_alone(tmp_path: Path, capsys) -> None:
    got = run(capsys, system_users=[ME], files=[entry(tmp_path / "a", "a")])
    assert got["created_users"] == []


def test_a_missing_system_user_is_reported_in_check_mode(tmp_path: Path, capsys) -> None:
    got = run(capsys, check=True, system_users=["no-such-hakit-user"])
    assert got["changed"] and got["created_users"] == ["no-such-hakit-user"]
