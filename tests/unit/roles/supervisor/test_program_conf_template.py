"""program.conf.j2 and supervisord.conf.j2 (issue 12): what supervisor reads back is what was meant.

Rendered by Ansible's Templar with the role's defaults; read by supervisor's own parser when the
package is importable, and always by the reimplementation in tests/hakit_readers.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hakit_readers import HAVE_SUPERVISOR, READERS, read_main, read_program
from hakit_templates import HOSTILE, LINE_BREAKS, render_template

from hakit_collection import REPO

ROLE = REPO / "roles" / "supervisor"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
PROGRAM_DEFAULTS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["__supervisor_program_defaults"]
# Values a program file carries unchanged (the others are refused, see test_supervisor_conf.py).
ENV_SAFE = [v for v in HOSTILE if v and v[0] not in "'\"" and v[-1] not in "'\"" and "%(here)s" not in v]
ENV_SAFE = [v for v in ENV_SAFE if " #" not in v and " ;" not in v]


@pytest.fixture(params=READERS)
def reader(request: pytest.FixtureRequest) -> str:
    if request.param == "supervisor" and not HAVE_SUPERVISOR:
        pytest.skip("the supervisor package is not importable (the reimplementation ran)")
    return request.param


def _program(**over: Any) -> str:
    prog = {**PROGRAM_DEFAULTS, "name": "redis-server", "command": ["/usr/bin/redis-server", "/etc/redis/redis.conf"]}
    prog.update(over)
    # supervisor checks that the log file's directory exists: /tmp does everywhere
    variables = {**DEFAULTS, "supervisor_log_dir": "/tmp", "__supervisor_prog": prog}
    return render_template("supervisor", "program.conf.j2", variables)


@pytest.mark.parametrize("value", HOSTILE)
def test_command_arguments_reach_the_program_unchanged(reader: str, value: str) -> None:
    text = _program(command=["/usr/bin/redis-server", value])
    assert read_program(reader, text, "redis-server")["argv"] == ["/usr/bin/redis-server", value]


@pytest.mark.parametrize("value", [v for v in ENV_SAFE if '"' not in v or "'" not in v])
def test_environment_values_reach_the_program_unchanged(reader: str, value: str) -> None:
    text = _program(environment={"HAKIT_TOKEN": value, "LANG": "C.UTF-8"})
    assert read_program(reader, text, "redis-server")["environment"] == {"HAKIT_TOKEN": value, "LANG": "C.UTF-8"}


@pytest.mark.parametrize("value", ["/var/lib/redis", "/data/100%", "/d ir/é $HOME", "/x#y;z"])
def test_directory_and_logfile_reach_supervisor_unchanged(reader: str, value: str, tmp_path: Path) -> None:
    logfile = tmp_path / (Path(value).name + ".log")
    text = _program(directory=value, stdout_logfile=str(logfile))
    got = read_program(reader, text, "redis-server")
    assert got["directory"] == value and got["stdout_logfile"] == str(logfile)


@pytest.mark.parametrize(
    "over, option",
    [
        ({"command": ["/usr/bin/redis-server", "/etc/redis.conf\nuser=root"]}, "command[1]"),
        ({"command": "/usr/bin/redis-server\n[program:evil]"}, "command"),
        ({"environment": {"TOKEN": "x\ny"}}, "environment.TOKEN"),
        ({"directory": "/var/lib/redis\rx"}, "directory"),
        ({"stdout_logfile": "/var/log/a\0"}, "stdout_logfile"),
        ({"name": "redis\nx"}, "name"),
        ({"user": "redis root"}, "user"),
        ({"environment": {"TOKEN": "a ;b"}}, "environment.TOKEN"),
        ({"environment": {"TOKEN": "'quoted'"}}, "environment.TOKEN"),
    ],
)
def test_what_supervisor_cannot_read_is_refused_by_name(over: dict[str, Any], option: str) -> None:
    with pytest.raises(Exception, match="supervisor option " + re.escape(option)) as err:
        _program(**over)
    assert "evil" not in str(err.value) and "quoted" not in str(err.value)


@pytest.mark.parametrize("value", LINE_BREAKS)
def test_line_breaks_in_supervisord_conf_are_refused(value: str) -> None:
    with pytest.raises(Exception, match="supervisor option supervisor_log_dir contains"):
        render_template("supervisor", "supervisord.conf.j2", {**DEFAULTS, "supervisor_log_dir": "/var/log" + value})


def test_supervisord_conf_with_hostile_paths(reader: str, tmp_path: Path) -> None:
    logdir = tmp_path / "lo g %x $HOME é#1;2"
    logdir.mkdir()
    confdir = tmp_path / "conf.d"
    confdir.mkdir()
    variables = {
        **DEFAULTS,
        "supervisor_log_dir": str(logdir),
        "supervisor_unix_socket": str(logdir / "s.sock"),
        "supervisor_conf_dir": str(confdir),
    }
    path = tmp_path / "supervisord.conf"
    path.write_text(render_template("supervisor", "supervisord.conf.j2", variables), encoding="utf-8")
    got = read_main(reader, path)
    assert got["socket"] == str(logdir / "s.sock")
    assert got["logfile"] == str(logdir / "supervisord.log")
    assert got["childlogdir"] == str(logdir)
    assert got["serverurl"] == f"unix://{logdir / 's.sock'}"


def test_a_comment_sign_after_whitespace_is_refused() -> None:
    with pytest.raises(Exception, match="supervisor option supervisor_log_dir contains a ';' or '#' after whitespace"):
        render_template("supervisor", "supervisord.conf.j2", {**DEFAULTS, "supervisor_log_dir": "/var/log/a #1"})


def test_a_conf_dir_with_whitespace_is_refused() -> None:
    with pytest.raises(Exception, match="supervisor option supervisor_conf_dir must be one word"):
        render_template("supervisor", "supervisord.conf.j2", {**DEFAULTS, "supervisor_conf_dir": "/etc/super visor"})


# --- Whether tasks_from: program has anything to do (hakit.redis.supervisor_program_pending) ---
# The roles skip tasks_from: program when the function says the file the template would write is
# the one on the host, byte for byte: so the template's output must be exactly the header and the
# function's rendering.
def _seen(text: str, state: str = "RUNNING") -> dict[str, Any]:
    import hashlib

    from ansible_collections.hakit.redis.plugins.module_utils import _supervisor_conf as sup

    header = text.split("\n[program:", 1)[0]
    assert "\n" + sup.program_file({**PROGRAM_DEFAULTS, **_DEFINITION}, "/tmp") == text[len(header) :]
    sha1 = hashlib.sha1(text.encode("utf-8")).hexdigest()
    programs = {"redis-server": {"sha1": sha1, "state": state}}
    return {"programs": programs, "defaults": PROGRAM_DEFAULTS, "log_dir": "/tmp", "header": header}


_DEFINITION = {
    "name": "redis-server",
    "command": ["/usr/bin/redis-server", "/etc/redis/redis.conf"],
    "umask": "027",
    "stopwaitsecs": 60,
    "environment": {"LANG": "C.UTF-8", "HAKIT": "a b"},
}


def test_the_template_writes_the_header_and_the_functions_rendering() -> None:
    _seen(_program(**_DEFINITION))  # asserts inside


@pytest.mark.parametrize(
    "change, pending",
    [
        ({}, False),
        ({"stopwaitsecs": 61}, True),
        ({"command": ["/usr/bin/redis-server", "/etc/redis/other.conf"]}, True),
        ({"environment": {}}, True),
        ({"state": "absent"}, True),
    ],
)
def test_pending_only_when_the_file_would_change(change: dict[str, Any], pending: bool) -> None:
    from ansible_collections.hakit.redis.plugins.filter.supervisor_conf import supervisor_program_pending

    seen = _seen(_program(**_DEFINITION))
    assert supervisor_program_pending({**_DEFINITION, **change}, seen) is pending


@pytest.mark.parametrize("state", ["STOPPED", "FATAL", "BACKOFF", "EXITED"])
def test_pending_when_the_program_does_not_run(state: str) -> None:
    from ansible_collections.hakit.redis.plugins.filter.supervisor_conf import supervisor_program_pending

    assert supervisor_program_pending(_DEFINITION, _seen(_program(**_DEFINITION), state)) is True


@pytest.mark.parametrize("seen", [{}, {"programs": {}}, {"programs": {"redis-server": {"state": "RUNNING"}}}])
def test_pending_when_supervisor_saw_nothing_of_it(seen: dict[str, Any]) -> None:
    from ansible_collections.hakit.redis.plugins.filter.supervisor_conf import supervisor_program_pending

    if seen:
        seen = {**seen, "defaults": PROGRAM_DEFAULTS, "log_dir": "/tmp", "header": ";"}
    assert supervisor_program_pending(_DEFINITION, seen) is True


def test_pending_when_a_value_cannot_be_written() -> None:
    from ansible_collections.hakit.redis.plugins.filter.supervisor_conf import supervisor_program_pending

    seen = _seen(_program(**_DEFINITION))
    assert supervisor_program_pending({**_DEFINITION, "user": "redis root"}, seen) is True
