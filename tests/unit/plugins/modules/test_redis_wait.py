"""redis_wait: retry until the reply matches, against a fake query() and a fake clock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from module_args import patch_module_args

from ansible_collections.hakit.redis.plugins.module_utils._resp import RespError
from ansible_collections.hakit.redis.plugins.modules import redis_wait

PASSWORD = "p@ss w0rd:#$/\"q'x\\y"


class FakeServer:
    """Plays back one answer per try (a reply, or an exception to raise); keeps the last one after."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[Any, ...]] = []
        self.now = 100.0
        self.slept: list[float] = []

    def query(self, *args: Any) -> list[Any]:
        self.calls.append(args)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return [answer]

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def params(**overrides: Any) -> dict[str, Any]:
    """The module's defaults, as AnsibleModule hands them over."""
    base = {name: spec.get("default") for name, spec in redis_wait.argument_spec().items()}
    return {**base, "port": 6379, **overrides}


def run_wait(server: FakeServer, **overrides: Any) -> dict[str, Any]:
    return redis_wait.wait(params(**overrides), server.query, server.clock, server.sleep)


@pytest.mark.parametrize(
    ("reply", "text"),
    [
        ("PONG", "PONG"),
        (42, "42"),
        (None, ""),
        (["10.0.0.1", "6379"], "10.0.0.1\n6379"),
        (["a", ["b", None], []], "a\nb\n\n"),
    ],
)
def test_render(reply: Any, text: str) -> None:
    assert redis_wait.render(reply) == text


def test_first_answer_matches() -> None:
    server = FakeServer("PONG")
    assert run_wait(server) == {"ok": True, "reply": "PONG", "error": None, "attempts": 1, "elapsed": 0.0}
    assert server.slept == []


def test_retries_through_refusals_and_error_replies() -> None:
    server = FakeServer(
        ConnectionRefusedError(111, "Connection refused"),
        RespError("LOADING Redis is loading the dataset in memory"),
        "PONG",
    )
    result = run_wait(server, delay=0.5)
    assert result == {"ok": True, "reply": "PONG", "error": None, "attempts": 3, "elapsed": 1.0}
    assert server.slept == [0.5, 0.5]


def test_a_server_that_is_no_redis_is_an_error_not_a_traceback() -> None:
    server = FakeServer(ValueError("invalid literal for int() with base 10: 'x'"), TimeoutError())
    result = run_wait(server, timeout=1.0)
    assert (result["ok"], result["attempts"], result["error"]) == (False, 2, "TimeoutError")


def test_sends_the_command_as_the_named_user() -> None:
    server = FakeServer("OK 3 usable Sentinels. Quorum and failover authorization can be reached")
    result = run_wait(
        server,
        host="10.0.0.1",
        port=26379,
        username="hakit-check",
        password=PASSWORD,
        command=["SENTINEL", "CKQUORUM", "mymaster"],
        expect="^OK",
        connect_timeout=2.0,
    )
    assert result["ok"] is True
    assert server.calls == [("10.0.0.1", 26379, [["SENTINEL", "CKQUORUM", "mymaster"]], PASSWORD, 2.0, "hakit-check")]


def test_expect_is_searched_in_the_whole_text() -> None:
    server = FakeServer(
        "# Replication\r\nrole:slave\r\nmaster_link_status:down\r\n", "role:slave\r\nmaster_link_status:up"
    )
    result = run_wait(server, command=["INFO", "replication"], expect="master_link_status:up")
    assert result["ok"] is True and result["attempts"] == 2


def test_times_out_with_the_last_error() -> None:
    server = FakeServer(RespError("NOAUTH Authentication required."))
    result = run_wait(server, timeout=3.0, delay=1.0)
    assert result == {
        "ok": False,
        "reply": None,
        "error": "NOAUTH Authentication required.",
        "attempts": 4,
        "elapsed": 3.0,
    }
    assert server.slept == [1.0, 1.0, 1.0]


def test_the_last_sleep_ends_at_the_deadline() -> None:
    server = FakeServer(ConnectionRefusedError(111, "Connection refused"))
    result = run_wait(server, timeout=2.5, delay=1.0)
    assert server.slept == [1.0, 1.0, 0.5]
    assert result["attempts"] == 4 and result["elapsed"] == 2.5


def test_timeout_zero_tries_once() -> None:
    server = FakeServer("role:slave")
    assert run_wait(server, timeout=0.0, expect="role:master")["attempts"] == 1
    assert server.slept == []


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (
            {"reply": None, "error": "WRONGPASS invalid username-password pair or user is disabled.", "attempts": 31},
            "127.0.0.1:6379 did not answer PING with a reply matching '^(PONG|OK)' within 30 s (31 tries); "
            "last error: WRONGPASS invalid username-password pair or user is disabled.",
        ),
        (
            {"reply": "x" * 300, "error": None, "attempts": 1},
            f"127.0.0.1:6379 did not answer PING with a reply matching '^(PONG|OK)' within 30 s (1 try); "
            f"last reply: '{'x' * 200}...'",
        ),
        (
            {"reply": "", "error": None, "attempts": 2},
            "127.0.0.1:6379 did not answer PING with a reply matching '^(PONG|OK)' within 30 s (2 tries); "
            "last reply: ''",
        ),
    ],
)
def test_failure_message(result: dict[str, Any], message: str) -> None:
    assert redis_wait.failure_message(params(), result) == message


def test_failure_message_names_the_first_word_only() -> None:
    p = params(host="fd00::1", port=26379, command=["sentinel", "ckquorum", "secret-name"], timeout=2.5)
    message = redis_wait.failure_message(p, {"reply": None, "error": "NOQUORUM 1 usable Sentinels.", "attempts": 3})
    assert message.startswith("[fd00::1]:26379 did not answer SENTINEL with a reply matching")
    assert "within 2.5 s (3 tries)" in message and "secret-name" not in message


def test_failure_message_of_a_single_try() -> None:
    p = params(host="10.0.0.100", timeout=0.0, expect="^PONG$")
    message = redis_wait.failure_message(p, {"reply": None, "error": "[Errno 111] Connection refused", "attempts": 1})
    assert message == (
        "10.0.0.100:6379 did not answer PING with a reply matching '^PONG$' at the only try (timeout 0); "
        "last error: [Errno 111] Connection refused"
    )


def run_main(args: dict[str, Any], server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> dict[str, Any]:
    # wait() binds its defaults at definition time: route main() through the fakes.
    original = redis_wait.wait
    monkeypatch.setattr(redis_wait, "wait", lambda p: original(p, server.query, server.clock, server.sleep))
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        redis_wait.main()
    out = json.loads(capsys.readouterr().out)
    out["exit_code"] = exit_info.value.code
    return out


def test_main_success(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    server = FakeServer(RespError("LOADING Redis is loading"), "PONG")
    out = run_main({"port": 6379, "password": PASSWORD}, server, monkeypatch, capsys)
    assert out["exit_code"] == 0, out
    assert (out["changed"], out["reply"], out["attempts"], out["elapsed"]) == (False, "PONG", 2, 1.0)
    assert "error" not in out
    assert server.calls[0][3] == PASSWORD and server.calls[0][5] is None


def test_main_runs_in_check_mode(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_main({"port": 6379, "_ansible_check_mode": True}, FakeServer("PONG"), monkeypatch, capsys)
    assert out["exit_code"] == 0 and out["reply"] == "PONG" and out["changed"] is False
    assert not out.get("skipped")


def test_main_failure_never_shows_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server = FakeServer(RespError("WRONGPASS invalid username-password pair or user is disabled."))
    args = {"port": 6379, "username": "hakit-check", "password": PASSWORD, "timeout": 2}
    out = run_main(args, server, monkeypatch, capsys)
    assert out["exit_code"] == 1 and out["failed"] is True and out["changed"] is False
    assert out["msg"] == (
        "127.0.0.1:6379 did not answer PING with a reply matching '^(PONG|OK)' within 2 s (3 tries); "
        "last error: WRONGPASS invalid username-password pair or user is disabled."
    )
    assert (out["reply"], out["attempts"], out["elapsed"]) == (None, 3, 2.0)
    # json.dumps escapes the quote and the backslash: look for the plain start of the password too.
    assert PASSWORD not in json.dumps(out) and "p@ss w0rd" not in json.dumps(out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"command": []}, "command must name a command, e.g. [PING]"),
        ({"port": 0}, "port must be 1-65535, not 0"),
        ({"timeout": -1}, "timeout must be 0 (one try) or more seconds"),
        ({"delay": 0}, "delay must be a positive number of seconds"),
        ({"connect_timeout": 0}, "connect_timeout must be a positive number of seconds"),
        ({"expect": "(PONG"}, "expect is not a valid regular expression: missing ), unterminated subpattern"),
    ],
)
def test_bad_options_are_clear_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: dict[str, Any], message: str
) -> None:
    server = FakeServer("PONG")
    out = run_main({"port": 6379, **args}, server, monkeypatch, capsys)
    assert out["exit_code"] == 1
    assert out["msg"].startswith(message)
    assert server.calls == []
