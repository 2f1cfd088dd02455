"""Supervisor program values (issue 12): read back by supervisor exactly as meant, or refused.

Each test runs against two readers (tests/hakit_readers.py): supervisor's own parser when the
package is importable, and a reimplementation of its steps that always runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from hakit_readers import HAVE_SUPERVISOR, READERS, read_program
from hakit_templates import HOSTILE, LINE_BREAKS

from ansible_collections.hakit.redis.plugins.module_utils import _supervisor_conf as sup

HERE_EXPANSION = "100% %s %(here)s %(program_name)s %%"
# What supervisor cannot carry, per kind of option (anything else must read back unchanged).
REFUSED = {
    "command": set(),
    "directory": {HERE_EXPANSION, "a #b", "a ;b", " lead", "trail ", "\v\f", ""},
    "environment": {HERE_EXPANSION, "a #b", "a ;b", "p@ss w0rd:#$/\"q'x\\y", 'say "hi"', "'", '"'},
}


@pytest.fixture(params=READERS)
def reader(request: pytest.FixtureRequest) -> str:
    if request.param == "supervisor" and not HAVE_SUPERVISOR:
        pytest.skip("the supervisor package is not importable (the reimplementation ran)")
    return request.param


def _program(**lines: str) -> str:
    body = {"command": "/bin/true", "user": "root", **lines}
    return "[program:p]\n" + "".join(f"{k}={v}\n" for k, v in body.items())


def _refused(func: Callable[..., str], *args: Any) -> str:
    """What func writes, or 'REFUSED: ' and its error."""
    try:
        return func(*args)
    except ValueError as exc:
        return "REFUSED: " + str(exc)


@pytest.mark.parametrize("value", HOSTILE)
def test_command_arguments_read_back_or_are_refused(reader: str, value: str) -> None:
    line = _refused(sup.command, ["/usr/bin/prog", value, "--x"])
    if value in REFUSED["command"]:
        assert line.startswith("REFUSED: supervisor option command ")
        return
    assert read_program(reader, _program(command=line), "p")["argv"] == ["/usr/bin/prog", value, "--x"]


@pytest.mark.parametrize("value", HOSTILE)
def test_environment_values_read_back_or_are_refused(reader: str, value: str) -> None:
    line = _refused(sup.environment, {"HAKIT_X": value, "A": "1,2 =3"})
    if value in REFUSED["environment"]:
        assert line.startswith("REFUSED: supervisor option environment")
        assert "HAKIT_X" in line
        return
    assert read_program(reader, _program(environment=line), "p")["environment"] == {"HAKIT_X": value, "A": "1,2 =3"}


@pytest.mark.parametrize("value", HOSTILE)
def test_plain_values_read_back_or_are_refused(reader: str, value: str) -> None:
    line = _refused(sup.option_value, value, "directory")
    if value in REFUSED["directory"]:
        assert line.startswith("REFUSED: supervisor option directory ")
        return
    assert read_program(reader, _program(directory=line), "p")["directory"] == value


@pytest.mark.parametrize("value", LINE_BREAKS)
def test_line_breaks_are_refused_everywhere(value: str) -> None:
    for func, args, name in [
        (sup.command, [["/bin/x", value]], "command[1]"),
        (sup.command, [f"/bin/x {value}"], "command"),
        (sup.environment, [{"K": value}], "environment.K"),
        (sup.option_value, [value, "directory"], "directory"),
    ]:
        with pytest.raises(ValueError, match="supervisor option " + re.escape(name)):
            func(*args)


def test_messages_never_hold_the_value() -> None:
    for func, args in [
        (sup.command, [["/bin/x", "hunter2\n"]]),
        (sup.environment, [{"TOKEN": "hunter2 ;x"}]),
        (sup.environment, [{"TOKEN": "hunter2 %(here)s"}]),
        (sup.option_value, ["hunter2 #x", "directory"]),
    ]:
        with pytest.raises(ValueError) as err:
            func(*args)
        assert "hunter2" not in str(err.value)


@pytest.mark.parametrize("key", ["1X", "A-B", "A B", "A=B", "É", "", "A\n"])
def test_environment_names_must_be_identifiers(key: str) -> None:
    with pytest.raises(ValueError, match="variable name"):
        sup.environment({key: "x"})


def test_a_string_command_is_supervisor_syntax_used_as_written(reader: str) -> None:
    line = sup.command("/bin/x --name %(program_name)s 'a b'")
    assert line == "/bin/x --name %(program_name)s 'a b'"
    assert read_program(reader, _program(command=line), "p")["argv"] == ["/bin/x", "--name", "p", "a b"]


def test_ordinary_values_are_written_as_before() -> None:
    # No rewrite of existing program files: plain paths stay bare, as the template wrote them.
    argv = ["/usr/bin/redis-server", "/etc/redis/redis.conf"]
    assert sup.command(argv) == " ".join(argv)
    assert sup.option_value("/var/lib/redis", "directory") == "/var/lib/redis"
    assert sup.environment({"B": "2", "A": "x y"}) == 'A="x y",B="2"'


def test_problems_lists_every_value_supervisor_cannot_read() -> None:
    found = sup.problems(
        {
            "redis_dir": ["value", "/data ;x"],
            "redis_config_path": ["command", ["/usr/bin/redis-server", "/etc/redis/r.conf"]],
            "supervisor_conf_dir": ["word", "/etc/super visor"],
            "env": ["environment", {"A": "b\nc"}],
        }
    )
    assert len(found) == 3
    assert any("redis_dir" in m for m in found) and any("supervisor_conf_dir" in m for m in found)
    assert any("env.A" in m for m in found)


@pytest.mark.parametrize("value", ["/tmp/100%.log", "/tmp/%(program_name)s %s %%.log", "/tmp/é $X.log"])
def test_stdout_logfile_is_expanded_twice_by_supervisor(reader: str, value: str) -> None:
    line = sup.option_value(value, "stdout_logfile", expansions=2)
    assert read_program(reader, _program(stdout_logfile=line), "p")["stdout_logfile"] == value
