"""_resp: the AUTH it sends (default user, ACL user, none) and how it takes the server's answer."""

from __future__ import annotations

import socket
import threading

import pytest

from ansible_collections.hakit.redis.plugins.module_utils._resp import RespError, auth_command, query


class OneShotServer:
    """Loopback RESP server: reads `expected` commands, answers the canned replies, closes."""

    def __init__(self, replies: list[bytes], expected: int) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve, args=(replies, expected), daemon=True)
        self.thread.start()

    def _serve(self, replies: list[bytes], expected: int) -> None:
        conn, _addr = self.sock.accept()
        with conn:
            conn.settimeout(2)
            while self.received.count(b"*") < expected:
                data = conn.recv(4096)
                if not data:
                    break
                self.received += data
            conn.sendall(b"".join(replies))
        self.sock.close()


@pytest.mark.parametrize(
    ("password", "username", "command"),
    [
        (None, None, []),
        ("", None, []),
        ("pw", None, ["AUTH", "pw"]),
        ("pw", "hakit-check", ["AUTH", "hakit-check", "pw"]),
        (None, "nopass-user", ["AUTH", "nopass-user", ""]),
    ],
)
def test_auth_command(password: str | None, username: str | None, command: list[str]) -> None:
    assert auth_command(password, username) == command


def test_query_authenticates_as_a_named_user() -> None:
    srv = OneShotServer([b"+OK\r\n", b"+PONG\r\n"], expected=2)
    assert query("127.0.0.1", srv.port, [["PING"]], "p w", 1.0, username="hakit-check") == ["PONG"]
    assert srv.received == b"*3\r\n$4\r\nAUTH\r\n$11\r\nhakit-check\r\n$3\r\np w\r\n*1\r\n$4\r\nPING\r\n"


def test_query_without_credentials_sends_no_auth() -> None:
    srv = OneShotServer([b":42\r\n"], expected=1)
    assert query("127.0.0.1", srv.port, [["DBSIZE"]]) == [42]
    assert srv.received == b"*1\r\n$6\r\nDBSIZE\r\n"


def test_query_tolerates_a_server_without_password() -> None:
    refusal = b"-ERR AUTH <password> called without any password configured for the default user.\r\n"
    srv = OneShotServer([refusal, b"+PONG\r\n"], expected=2)
    assert query("127.0.0.1", srv.port, [["PING"]], "pw") == ["PONG"]


def test_query_raises_a_refused_named_user() -> None:
    srv = OneShotServer([b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"], expected=2)
    with pytest.raises(RespError, match="WRONGPASS") as info:
        query("127.0.0.1", srv.port, [["PING"]], "secret-pw", username="hakit-check")
    assert "secret-pw" not in str(info.value)


def test_query_raises_a_permission_error_of_the_command() -> None:
    noperm = b"-NOPERM User hakit-check has no permissions to run the 'config|get' command\r\n"
    srv = OneShotServer([b"+OK\r\n", noperm], expected=2)
    with pytest.raises(RespError, match="NOPERM"):
        query("127.0.0.1", srv.port, [["CONFIG", "GET", "maxmemory"]], "pw", username="hakit-check")
