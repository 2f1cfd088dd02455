"""host_state + files_unchanged: the controller skips a files step only when the files module would change nothing."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path
from typing import Any

import pytest
from module_args import patch_module_args

from ansible_collections.hakit.redis.plugins.filter.files_state import files_unchanged
from ansible_collections.hakit.redis.plugins.modules import files, host_state

ME = pwd.getpwuid(os.getuid()).pw_name
KEY = "k" * 32
MARKER = "hakit.redis: first written by Ansible"


def run(module: Any, capsys: pytest.CaptureFixture[str], **args: Any) -> dict[str, Any]:
    with patch_module_args({**args, "_ansible_check_mode": False}), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def state(capsys: pytest.CaptureFixture[str], entries: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return run(host_state, capsys, key=KEY, paths=[e["path"] for e in entries], markers=[MARKER], packages=False, **kw)


def wanted(tmp_path: Path) -> list[dict[str, Any]]:
    return [
        {"path": str(tmp_path / "d"), "state": "directory", "owner": ME, "mode": "0750"},
        {"path": str(tmp_path / "d" / "a.conf"), "content": "a = 1\n", "owner": ME, "mode": "0640"},
        {"path": str(tmp_path / "gone"), "state": "absent"},
    ]


def first_only(tmp_path: Path, content: str) -> dict[str, Any]:
    return {"path": str(tmp_path / "r.conf"), "content": content, "unless_contains": MARKER, "mode": "0640"}


def agrees(capsys: pytest.CaptureFixture[str], entries: list[dict[str, Any]], **kw: Any) -> bool:
    """files_unchanged's answer, checked against what the files module then does."""
    unchanged = files_unchanged(entries, state(capsys, entries), KEY, **kw)
    if unchanged:
        assert not run(files, capsys, files=entries)["changed"], "files_unchanged said unchanged, files changed"
    return unchanged


def test_a_fresh_host_runs_the_step_and_a_rerun_skips_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entries = wanted(tmp_path)
    assert not agrees(capsys, entries)
    run(files, capsys, files=entries)
    assert agrees(capsys, entries)


@pytest.mark.parametrize(
    "drift",
    [
        lambda p: (p / "d" / "a.conf").chmod(0o644),
        lambda p: (p / "d").chmod(0o755),
        lambda p: (p / "d" / "a.conf").write_text("a = 2\n"),
        lambda p: (p / "gone").write_text("back\n"),
        lambda p: (p / "d" / "a.conf").unlink(),
    ],
    ids=["file mode", "directory mode", "content", "a file to remove", "a missing file"],
)
def test_any_drift_runs_the_step(tmp_path: Path, capsys: pytest.CaptureFixture[str], drift: Any) -> None:
    entries = wanted(tmp_path)
    run(files, capsys, files=entries)
    drift(tmp_path)
    assert not files_unchanged(entries, state(capsys, entries), KEY)


def test_a_file_the_daemon_rewrote_counts_as_unchanged_while_it_keeps_the_marker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(files, capsys, files=[first_only(tmp_path, f"# {MARKER}\nport 6379\n")])
    (tmp_path / "r.conf").write_text(f"# {MARKER}\nport 6379\nreplicaof 10.0.0.1 6379\n")
    assert agrees(capsys, [first_only(tmp_path, f"# {MARKER}\nport 6380\n")])
    (tmp_path / "r.conf").write_text("port 6379\n")
    assert not files_unchanged([first_only(tmp_path, "x")], state(capsys, [first_only(tmp_path, "x")]), KEY)


def test_doubt_is_never_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entries = wanted(tmp_path)
    run(files, capsys, files=entries)
    seen = state(capsys, entries)
    assert files_unchanged(entries, seen, KEY)
    assert not files_unchanged(entries, seen, "")  # no key: the key was cleared after an apt run
    assert not files_unchanged(entries, seen, "another key")
    assert not files_unchanged(entries, {}, KEY)
    assert not files_unchanged([*entries, {"path": "/not/read", "state": "absent"}], seen, KEY)
    assert not files_unchanged(entries, seen, KEY, system_users=["no-such-user-hakit"])
    assert files_unchanged(entries, state(capsys, entries, users=[ME]), KEY, system_users=[ME])


def test_no_digest_without_a_key_and_secrets_never_in_the_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("requirepass s3cr3t-value\n")
    seen = run(host_state, capsys, paths=[str(secret)], packages=False)
    assert seen["paths"][str(secret)]["digest"] == ""
    keyed = run(host_state, capsys, key=KEY, paths=[str(secret)], packages=False)
    assert "s3cr3t" not in json.dumps(keyed) and KEY not in json.dumps(keyed)
