"""ha_check's main(): AnsibleModule in, JSON out, against a fake redis-py client."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from module_args import patch_module_args

from ansible_collections.hakit.redis.plugins.modules import ha_check

PASSWORD = "s3cret pa$$"
M, R = ("10.0.0.1", 6379), ("10.0.0.2", 6379)
SENTINELS = [("10.0.0.1", 26379), ("10.0.0.2", 26379), ("10.0.0.3", 26379)]


class FakeClient:
    """Answers like redis-py 8 (RESP3 maps for SENTINEL MASTER) from a dict of canned replies."""

    def __init__(self, server: dict[str, Any] | Exception, password: str | None, username: str | None = None) -> None:
        self.server, self.password, self.username = server, password, username
        self.closed = False

    def _check(self) -> dict[str, Any]:
        if isinstance(self.server, Exception):
            raise self.server
        # Only the server's `user` (the default user when it has none) holds its password.
        if self.server.get("password") and (
            self.server["password"] != self.password or self.server.get("user") != self.username
        ):
            raise redis.AuthenticationError("invalid username-password pair or user is disabled.")
        return self.server

    def execute_command(self, *args: Any) -> Any:
        server = self._check()
        reply = server["commands"][" ".join(str(a) for a in args[:2]).upper()]
        if isinstance(reply, Exception):
            raise reply
        return reply

    def info(self, section: str) -> dict[str, Any]:
        return self._check()["info"][section]

    def close(self) -> None:
        self.closed = True


class FakeNet:
    """host:port -> server; anything else refuses connections like a closed port."""

    def __init__(self) -> None:
        self.servers: dict[tuple[str, int], dict[str, Any] | Exception] = {}
        self.clients: list[FakeClient] = []

    def __call__(
        self, host: str, port: int, password: str | None = None, timeout: float = 2.0, username: str | None = None
    ) -> FakeClient:
        server = self.servers.get((host, port), redis.ConnectionError(f"Error 111 connecting to {host}:{port}."))
        client = FakeClient(server, password, username)
        self.clients.append(client)
        return client

    def sentinel(
        self,
        address: tuple[str, int],
        master: tuple[str, int] = M,
        quorum: int = 2,
        others: int = 2,
        ckquorum: bool = True,
    ) -> None:
        self.servers[address] = {
            "commands": {
                "SENTINEL MASTER": {
                    "name": "mymaster",
                    "quorum": str(quorum),
                    "num-other-sentinels": str(others),
                    "flags": "master",
                },
                "SENTINEL GET-MASTER-ADDR-BY-NAME": [master[0], str(master[1])],
                "SENTINEL REPLICAS": [{"ip": R[0], "port": str(R[1]), "flags": "slave"}],
                "SENTINEL CKQUORUM": "OK 3 usable Sentinels. Quorum and failover authorization can be reached"
                if ckquorum
                else redis.ResponseError("NOQUORUM 1 usable Sentinels."),
            }
        }

    def master(
        self, address: tuple[str, int] = M, run_id: str = "a" * 40, offset: int = 5000, replica_offset: int = 5000
    ) -> None:
        self.servers[address] = {
            "password": PASSWORD,
            "info": {
                "replication": {
                    "role": "master",
                    "connected_slaves": 1,
                    "master_repl_offset": offset,
                    "slave0": {"ip": R[0], "port": R[1], "state": "online", "offset": replica_offset, "lag": 0},
                },
                "server": {"run_id": run_id},
            },
        }

    def replica(self, address: tuple[str, int] = R, link: str = "up", offset: int = 5000, last_io: int = 1) -> None:
        self.servers[address] = {
            "password": PASSWORD,
            "info": {
                "replication": {
                    "role": "slave",
                    "master_host": M[0],
                    "master_port": M[1],
                    "master_link_status": link,
                    "master_last_io_seconds_ago": last_io,
                    "slave_repl_offset": offset,
                },
                "server": {"run_id": "b" * 40},
            },
        }


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    fake = FakeNet()
    for address in SENTINELS:
        fake.sentinel(address)
    fake.master()
    fake.replica()
    monkeypatch.setattr(ha_check, "connect", fake)
    # run_check binds its default connector at definition time: route main() through the fake.
    original = ha_check.run_check
    monkeypatch.setattr(ha_check, "run_check", lambda params, connector=fake: original(params, connector))
    return fake


def run_main(args: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    args = {"sentinels": [f"{h}:{p}" for h, p in SENTINELS], "redis_password": PASSWORD, **args}
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        ha_check.main()
    out = json.loads(capsys.readouterr().out)
    out["exit_code"] = exit_info.value.code
    return out


def test_healthy(net: FakeNet, capsys: pytest.CaptureFixture[str]) -> None:
    net.master(("10.0.0.100", 6379))  # the VIP leads to the master process itself (same run_id)
    out = run_main({"vip": "10.0.0.100", "expected_master": "10.0.0.1"}, capsys)
    assert out["exit_code"] == 0, out
    assert out["healthy"] is True and out["problems"] == [] and out["changed"] is False
    assert out["master"] == {
        "host": "10.0.0.1",
        "port": 6379,
        "role_confirmed": True,
        "run_id": "a" * 40,
        "connected_replicas": 1,
    }
    assert out["replicas"] == [
        {"host": "10.0.0.2", "port": 6379, "link_status": "up", "offset_lag_bytes": 0, "last_io_seconds": 1}
    ]
    assert out["quorum"] == {"configured": 2, "reachable": 3, "total": 3, "ok": True}
    assert out["vip"] == {"address": "10.0.0.100", "holder_role": "master", "ok": True}
    assert [s["master"] for s in out["sentinels"]] == ["10.0.0.1:6379"] * 3
    assert all(c.closed for c in net.clients)


@pytest.mark.parametrize(
    ("setup", "args", "problems"),
    [
        (lambda n: n.servers.pop(SENTINELS[2]), {}, ["sentinel 10.0.0.3:26379 unreachable"]),
        (
            lambda n: (n.servers.pop(SENTINELS[1]), n.servers.pop(SENTINELS[2])),
            {},
            [
                "sentinel 10.0.0.2:26379 unreachable",
                "sentinel 10.0.0.3:26379 unreachable",
                "quorum 2 not reachable: 1 of 3 sentinels up",
            ],
        ),
        (
            lambda n: n.replica(link="down"),
            {},
            ["replica 10.0.0.2:6379 link down", "0 healthy replicas, min_replicas is 1"],
        ),
        (lambda n: n.servers.pop(R), {"min_replicas": 0}, ["replica 10.0.0.2:6379 unreachable"]),
        (
            lambda n: n.replica(offset=1000),
            {"max_lag_bytes": 100},
            [
                "replica 10.0.0.2:6379 lags 4000 bytes behind the master (max 100)",
                "0 healthy replicas, min_replicas is 1",
            ],
        ),
        (
            lambda n: n.sentinel(SENTINELS[2], master=("10.0.0.9", 6379)),
            {},
            [
                "sentinels disagree on master: 10.0.0.1:6379 (10.0.0.1:26379, 10.0.0.2:26379), "
                "10.0.0.9:6379 (10.0.0.3:26379)"
            ],
        ),
        (lambda n: n.replica(("10.0.0.100", 6379)), {"vip": "10.0.0.100"}, ["VIP 10.0.0.100 answers as replica"]),
        (
            lambda n: None,
            {"redis_password": "wrong"},
            [
                "master 10.0.0.1:6379: authentication failed (check redis_password)",
                "replica 10.0.0.2:6379: authentication failed (check redis_password)",
                "0 healthy replicas, min_replicas is 1",
            ],
        ),
        (
            lambda n: None,
            {"redis_password": None},
            [
                "master 10.0.0.1:6379: authentication failed (check redis_password)",
                "replica 10.0.0.2:6379: authentication failed (check redis_password)",
                "0 healthy replicas, min_replicas is 1",
            ],
        ),
    ],
    ids=[
        "sentinel-down",
        "quorum-lost",
        "link-down",
        "replica-gone",
        "lagging",
        "disagree",
        "vip-on-replica",
        "wrong-password",
        "no-password",
    ],
)
def test_unhealthy_fails_with_the_problems(
    net: FakeNet, capsys: pytest.CaptureFixture[str], setup: Any, args: dict[str, Any], problems: list[str]
) -> None:
    setup(net)
    out = run_main(args, capsys)
    assert out["exit_code"] == 1
    assert out["failed"] is True
    assert out["problems"] == problems
    assert out["msg"] == "Redis HA unhealthy: " + "; ".join(problems)
    assert out["changed"] is False
    assert PASSWORD not in json.dumps(out)


def test_fail_on_unhealthy_false_returns_ok(net: FakeNet, capsys: pytest.CaptureFixture[str]) -> None:
    net.servers.pop(SENTINELS[0])
    out = run_main({"fail_on_unhealthy": False}, capsys)
    assert out["exit_code"] == 0
    assert out.get("failed") is not True
    assert out["healthy"] is False
    assert out["problems"] == ["sentinel 10.0.0.1:26379 unreachable"]


def test_check_mode(net: FakeNet, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_main({"_ansible_check_mode": True}, capsys)
    assert out["exit_code"] == 0 and out["healthy"] is True and out["changed"] is False


def test_standalone(net: FakeNet, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_main({"sentinels": [], "redis": ["10.0.0.1", "10.0.0.2:6379"]}, capsys)
    assert out["exit_code"] == 0, out
    assert out["quorum"] == {"configured": 0, "reachable": 0, "total": 0, "ok": True}
    assert out["sentinels"] == []
    assert [r["host"] for r in out["replicas"]] == ["10.0.0.2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"sentinels": [], "redis": []}, "nothing to check: give sentinels, or redis nodes when there is no Sentinel"),
        ({"sentinels": ["10.0.0.1:99999"]}, "invalid address: bad address '10.0.0.1:99999': port must be 1-65535"),
        ({"timeout": 0}, "timeout must be a positive number of seconds"),
    ],
)
def test_bad_options_are_clear_errors(
    net: FakeNet, capsys: pytest.CaptureFixture[str], args: dict[str, Any], message: str
) -> None:
    out = run_main(args, capsys)
    assert out["exit_code"] == 1
    assert out["msg"] == message


def test_missing_redis_library(
    net: FakeNet, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ha_check, "HAS_REDIS", False)
    out = run_main({}, capsys)
    assert out["exit_code"] == 1
    assert "Failed to import the required Python library (redis)" in out["msg"]


def test_nothing_listening(net: FakeNet, capsys: pytest.CaptureFixture[str]) -> None:
    net.servers.clear()
    out = run_main({}, capsys)
    assert out["problems"][:3] == [f"sentinel {h}:{p} unreachable" for h, p in SENTINELS]
    assert out["problems"][3:] == [
        "quorum unknown: 0 of 3 sentinels up",
        "no master known: no reachable sentinel names a master for mymaster",
        "0 healthy replicas, min_replicas is 1",
    ]
    assert out["sentinels"][0]["error"] == "10.0.0.1:26379: unreachable (Error 111 connecting to 10.0.0.1:26379.)"


def test_named_users_on_every_connection(net: FakeNet, capsys: pytest.CaptureFixture[str]) -> None:
    for address, server in net.servers.items():
        if address in SENTINELS:
            server.update(password="sentinel pw", user="hakit-check")
        else:
            server["user"] = "hakit-check"
    net.master(("10.0.0.100", 6379))
    net.servers[("10.0.0.100", 6379)]["user"] = "hakit-check"
    args = {
        "redis_username": "hakit-check",
        "sentinel_username": "hakit-check",
        "sentinel_password": "sentinel pw",
        "vip": "10.0.0.100",
    }
    out = run_main(args, capsys)
    assert out["exit_code"] == 0, out
    assert out["healthy"] is True
    assert {c.username for c in net.clients} == {"hakit-check"}
    assert len(net.clients) == 3 + 2 + 1  # Sentinels, master and replica, VIP


def test_a_named_user_is_not_the_default_user(net: FakeNet, capsys: pytest.CaptureFixture[str]) -> None:
    # The servers expect the default user: naming another one with the same password is refused.
    out = run_main({"redis_username": "hakit-check", "fail_on_unhealthy": False}, capsys)
    assert out["healthy"] is False
    assert "master 10.0.0.1:6379: authentication failed (check redis_password)" in out["problems"]
    assert {c.username for c in net.clients} == {None, "hakit-check"}  # Sentinels: default user
