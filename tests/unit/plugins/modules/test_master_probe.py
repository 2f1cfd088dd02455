"""master_probe: the live-master decision (Sentinel majority first, never a demotion by a re-run),
and the socket client it uses, against a fake RESP server."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

import pytest
from module_args import patch_module_args

from ansible_collections.hakit.redis.plugins.module_utils._resp import RespError, query
from ansible_collections.hakit.redis.plugins.modules import master_probe
from ansible_collections.hakit.redis.plugins.modules.master_probe import ProbeError, ask_redis, ask_sentinel, decide

HOSTS = {"node1": "10.0.0.11", "node2": "10.0.0.12"}
PARAMS = {"redis_hosts": HOSTS, "redis_port": 6379, "initial": "node1"}


def sentinel(master: str | None, reachable: bool = True) -> dict[str, Any]:
    return {"address": "s", "reachable": reachable, "master": master}


def node(host: str, role: str | None = "master", replicas: int = 0) -> dict[str, Any]:
    return {"host": host, "address": HOSTS[host], "role": role, "replicas": replicas}


def test_fresh_cluster_uses_initial_master() -> None:
    got = decide([sentinel(None, reachable=False)], [node("node1", None), node("node2", None)], PARAMS)
    assert got == {"host": "node1", "ip": "10.0.0.11", "port": 6379, "source": "initial"}


def test_sentinel_majority_wins_after_failover() -> None:
    # node2 was promoted; node1 (the initial master) is down: a re-run must keep node2.
    got = decide([sentinel("10.0.0.12:6379"), sentinel("10.0.0.12:6379"), sentinel(None, reachable=False)], [], PARAMS)
    assert got == {"host": "node2", "ip": "10.0.0.12", "port": 6379, "source": "sentinel"}


def test_one_sentinel_of_two_answering_decides() -> None:
    # topology 3 after losing the node of the other Sentinel: the one that answers is the majority.
    got = decide([sentinel("10.0.0.11:6379"), sentinel(None, reachable=False)], [], PARAMS)
    assert got["host"] == "node1"


def test_master_with_replicas_beats_initial_when_no_sentinel_knows() -> None:
    got = decide([], [node("node1", "slave"), node("node2", replicas=1)], PARAMS)
    assert got["host"] == "node2" and got["source"] == "replication"


def test_split_brain_refuses() -> None:
    with pytest.raises(ProbeError, match="split brain"):
        decide([], [node("node1", replicas=1), node("node2", replicas=1)], PARAMS)


def test_sentinels_without_majority_refuse() -> None:
    with pytest.raises(ProbeError, match="disagree"):
        decide([sentinel("10.0.0.11:6379"), sentinel("10.0.0.12:6379")], [], PARAMS)


def test_a_sentinel_monitoring_nothing_counts_against_the_majority() -> None:
    with pytest.raises(ProbeError, match="no master by a majority"):
        decide([sentinel("10.0.0.11:6379"), sentinel(None)], [], PARAMS)


def test_sentinel_naming_unknown_address_refuses() -> None:
    with pytest.raises(ProbeError, match="no host of the 'redis' group"):
        decide([sentinel("127.0.0.1:6379")], [], PARAMS)


class FakeServer:
    """One-connection RESP server on loopback answering canned replies in order."""

    def __init__(self, replies: list[bytes]) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve, args=(replies,), daemon=True)
        self.thread.start()

    def _serve(self, replies: list[bytes]) -> None:
        conn, _addr = self.sock.accept()
        with conn:
            conn.settimeout(2)
            while self.received.count(b"*") < len(replies):
                data = conn.recv(4096)
                if not data:
                    break
                self.received += data
            conn.sendall(b"".join(replies))
        self.sock.close()


def test_query_sends_auth_first_and_parses_an_array() -> None:
    srv = FakeServer([b"+OK\r\n", b"*2\r\n$9\r\n10.0.0.12\r\n$4\r\n6379\r\n"])
    assert query("127.0.0.1", srv.port, [["SENTINEL", "get-master-addr-by-name", "m"]], "pw") == [["10.0.0.12", "6379"]]
    assert srv.received.startswith(b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n")


def test_query_raises_on_a_wrong_password() -> None:
    srv = FakeServer([b"-WRONGPASS invalid username-password pair\r\n", b"-NOAUTH Authentication required.\r\n"])
    with pytest.raises(RespError, match="WRONGPASS"):
        query("127.0.0.1", srv.port, [["INFO", "replication"]], "bad")


def test_ask_sentinel_reports_a_null_master_and_an_unreachable_one() -> None:
    srv = FakeServer([b"*-1\r\n"])
    params = {"sentinel_port": 26379, "master_name": "m", "sentinel_password": None, "timeout": 1.0}
    assert ask_sentinel(f"127.0.0.1:{srv.port}", params)["master"] is None
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    entry = ask_sentinel(f"127.0.0.1:{port}", params)
    assert entry["reachable"] is False and entry["error"]


def test_probes_authenticate_as_the_named_users(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []

    def fake_query(host: str, port: int, commands: list[list[str]], *auth: Any) -> list[Any]:
        calls.append((host, port, commands[0][0], *auth))
        return [["10.0.0.11", "6379"]] if commands[0][0] == "SENTINEL" else ["role:master\r\nconnected_slaves:1\r\n"]

    monkeypatch.setattr(master_probe, "query", fake_query)
    params = {
        **PARAMS,
        "sentinel_port": 26379,
        "master_name": "m",
        "timeout": 1.0,
        "redis_username": "hakit-check",
        "redis_password": "rpw",
        "sentinel_username": "hakit-peer",
        "sentinel_password": "spw",
    }
    assert ask_sentinel("10.0.0.13", params)["master"] == "10.0.0.11:6379"
    assert ask_redis("node1", "10.0.0.11", params) == {
        "host": "node1",
        "address": "10.0.0.11",
        "role": "master",
        "replicas": 1,
    }
    assert calls == [
        ("10.0.0.13", 26379, "SENTINEL", "spw", 1.0, "hakit-peer"),
        ("10.0.0.11", 6379, "INFO", "rpw", 1.0, "hakit-check"),
    ]


def test_main_passes_the_usernames(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[Any] = []

    def fake_query(host: str, port: int, commands: list[list[str]], *auth: Any) -> list[Any]:
        seen.append(auth)
        return [["10.0.0.12", "6379"]]

    monkeypatch.setattr(master_probe, "query", fake_query)
    args = {
        "redis_hosts": HOSTS,
        "initial": "node1",
        "sentinels": ["10.0.0.11"],
        "sentinel_username": "hakit-peer",
        "sentinel_password": "s3cret",
    }
    with patch_module_args(args), pytest.raises(SystemExit):
        master_probe.main()
    out = capsys.readouterr().out
    assert json.loads(out)["master"]["host"] == "node2"
    assert seen == [("s3cret", 1.0, "hakit-peer")]
    assert "s3cret" not in out


def test_a_refused_password_is_retried_with_the_previous_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rotation's first run: the cluster still has the old password."""
    tried: list[str] = []

    def fake_query(host: str, port: int, commands: list[list[str]], password: str, *rest: Any) -> list[Any]:
        tried.append(password)
        if password != "old":
            raise RespError("WRONGPASS invalid username-password pair or user is disabled.")
        return ["role:master\r\nconnected_slaves:1\r\n"]

    monkeypatch.setattr(master_probe, "query", fake_query)
    params = {**PARAMS, "timeout": 1.0, "redis_password": "new", "redis_password_previous": "old"}
    assert ask_redis("node1", "10.0.0.11", params)["role"] == "master"
    assert tried == ["new", "old"]


def test_a_server_refusing_every_password_stops_the_probe_instead_of_a_guess() -> None:
    """Guessing the initial master could demote the live one behind the refusal."""
    refused = {**node("node2", None), "error": "WRONGPASS", "auth_failed": True}
    with pytest.raises(ProbeError, match=r"node2 refused the password.*redis_password_previous"):
        decide([sentinel(None, reachable=False)], [node("node1", None), refused], PARAMS)


def test_a_move_to_tls_asks_plaintext_servers_in_plaintext(monkeypatch: pytest.MonkeyPatch) -> None:
    """A move from plaintext to TLS (plaintext_port): a server that does not answer over TLS is asked in
    plaintext (Redis on the plaintext port, a Sentinel on its own), and the master a plaintext Sentinel
    names on the plaintext port is reported on the TLS port."""
    calls: list[tuple[str, int, bool]] = []

    def fake_query(host: str, port: int, commands: list[list[str]], *rest: Any, tls: Any = None) -> list[Any]:
        calls.append((host, port, tls is not None))
        if tls is not None:
            raise OSError("[SSL: WRONG_VERSION_NUMBER] wrong version number")
        return [["10.0.0.11", "6379"]] if commands[0][0] == "SENTINEL" else ["role:master\r\nconnected_slaves:1\r\n"]

    monkeypatch.setattr(master_probe, "query", fake_query)
    monkeypatch.setattr(master_probe, "resp_tls_kwargs", lambda params: {"tls": object()} if params["tls"] else {})
    params = {
        **PARAMS,
        "redis_port": 6380,
        "sentinel_port": 26379,
        "master_name": "m",
        "timeout": 1.0,
        "redis_password": None,
        "sentinel_password": None,
        "tls": True,
        "plaintext_port": 6379,
    }
    assert ask_sentinel("10.0.0.13", params)["master"] == "10.0.0.11:6380"
    assert ask_redis("node1", "10.0.0.11", params)["role"] == "master"
    assert calls == [
        ("10.0.0.13", 26379, True),
        ("10.0.0.13", 26379, False),
        ("10.0.0.11", 6380, True),
        ("10.0.0.11", 6379, False),
    ]
    # Without plaintext_port nothing falls back: the TLS failure is the answer.
    calls.clear()
    assert ask_sentinel("10.0.0.13", {**params, "plaintext_port": 0})["reachable"] is False
    assert calls == [("10.0.0.13", 26379, True)]
