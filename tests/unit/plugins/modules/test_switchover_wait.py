"""hakit.redis.switchover's waits before anything is paused: a failover still running, Sentinels behind."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.hakit.redis.plugins.modules import switchover


class FakeSentinels:
    """SENTINEL MASTER replies: each Sentinel reports a failover for its first `busy[address]` queries."""

    def __init__(self, busy: dict[str, int], down: tuple[str, ...] = ()) -> None:
        self.busy = dict(busy)
        self.down = down

    def sentinel(self, address: str, *commands: list[str]) -> list[Any]:
        assert commands == (["SENTINEL", "MASTER", "mymaster"],)
        if address in self.down:
            raise OSError("connection refused")
        left = self.busy.get(address, 0)
        self.busy[address] = max(0, left - 1)
        return [["name", "mymaster", "flags", "master,failover_in_progress" if left else "master"]]


SENTINELS = ["10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"]


def test_no_failover_running_returns_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(switchover.time, "sleep", lambda s: pytest.fail("waited without a failover running"))
    switchover.wait_no_failover(FakeSentinels({}, down=(SENTINELS[2],)), SENTINELS, "mymaster")  # type: ignore[arg-type]


def test_a_failover_that_ends_is_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(switchover.time, "sleep", slept.append)
    switchover.wait_no_failover(FakeSentinels({SENTINELS[0]: 3}), SENTINELS, "mymaster")  # type: ignore[arg-type]
    assert len(slept) == 3


def test_a_failover_that_lasts_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(switchover.time, "sleep", lambda s: None)
    with pytest.raises(
        switchover.Refused, match=r"still in progress on Sentinel\(s\) 10\.0\.0\.2:26379.*hakit\.redis\.status"
    ):
        switchover.wait_no_failover(
            FakeSentinels({SENTINELS[1]: 10**9}),
            SENTINELS,
            "mymaster",
            timeout=0.0,  # type: ignore[arg-type]
        )


TARGET = "10.0.0.12:6379"
MASTER = "10.0.0.11:6379"
PARAMS = {"sentinels": SENTINELS, "master_name": "mymaster"}


class FakeReplicaViews:
    """SENTINEL REPLICAS replies: each Sentinel reports the target with role master (its INFO read
    before the demotion) for its first `stale[address]` queries, then as a linked replica."""

    def __init__(self, stale: dict[str, int], down: tuple[str, ...] = ()) -> None:
        self.stale = dict(stale)
        self.down = down

    def sentinel(self, address: str, *commands: list[str]) -> list[Any]:
        assert commands == (["SENTINEL", "REPLICAS", "mymaster"],)
        if address in self.down:
            raise OSError("connection refused")
        left = self.stale.get(address, 0)
        self.stale[address] = max(0, left - 1)
        entry = {"ip": "10.0.0.12", "port": "6379", "flags": "slave", "slave-priority": "100", "info-refresh": "800",
                 "role-reported": "master" if left else "slave", "master-link-status": "err" if left else "ok",
                 "master-host": "?" if left else "10.0.0.11", "master-port": "0" if left else "6379"}  # fmt: skip
        return [[entry]]


def test_sentinels_that_see_the_target_as_a_replica_are_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(switchover.time, "sleep", lambda s: pytest.fail("waited with every Sentinel ready"))
    cluster = FakeReplicaViews({}, down=(SENTINELS[2],))
    switchover.wait_sentinels_ready(cluster, PARAMS, MASTER, TARGET)  # type: ignore[arg-type]


def test_a_sentinel_still_seeing_the_target_as_master_is_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(switchover.time, "sleep", slept.append)
    switchover.wait_sentinels_ready(FakeReplicaViews({SENTINELS[2]: 4}), PARAMS, MASTER, TARGET)  # type: ignore[arg-type]
    assert len(slept) == 4


def test_a_sentinel_that_never_catches_up_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(switchover.time, "sleep", lambda s: None)
    with pytest.raises(
        switchover.Refused, match=r"Sentinel 10\.0\.0\.3:26379 last read role master.*hakit\.redis\.status"
    ):
        switchover.wait_sentinels_ready(
            FakeReplicaViews({SENTINELS[2]: 10**9}),  # type: ignore[arg-type]
            PARAMS,
            MASTER,
            TARGET,
            timeout=0.0,
        )


class FakePausedCluster:
    """A master and a target that stays `behind` bytes back while writes are paused; records the commands."""

    def __init__(self, behind: int, down_after: int = 5000) -> None:
        self.behind, self.down_after = behind, down_after
        self.sent: list[tuple[str, list[str]]] = []

    def redis(self, address: str, *commands: list[str]) -> list[Any]:
        self.sent += [(address, c) for c in commands]
        if commands[0][:1] != ["INFO"]:
            return ["OK"] * len(commands)
        if address == MASTER:
            return ["role:master\r\nmaster_replid:" + "a" * 40 + "\r\nmaster_repl_offset:9000\r\n"]
        offset = 9000 - self.behind
        return [f"role:slave\r\nmaster_link_status:up\r\nmaster_replid:{'a' * 40}\r\nslave_repl_offset:{offset}\r\n"]

    def sentinel(self, address: str, *commands: list[str]) -> list[Any]:
        self.sent += [(address, c) for c in commands]
        if commands[0][:2] == ["SENTINEL", "MASTER"]:
            return [["name", "mymaster", "down-after-milliseconds", str(self.down_after)]]
        return ["OK"]


def test_a_target_behind_stops_the_switch_within_half_of_down_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """The paused master holds the Sentinels' own link to it: waiting past down-after would make them
    fail it over themselves. So the catch-up wait ends at half of down-after, the pause is released,
    and no SENTINEL FAILOVER is sent."""
    now = [0.0]
    monkeypatch.setattr(switchover.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(switchover.time, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    cluster = FakePausedCluster(behind=14, down_after=1000)
    params = {**PARAMS, "pause_ms": 10000}
    budget = switchover.catch_up_seconds(cluster, params, SENTINELS[0])  # type: ignore[arg-type]
    assert budget == 0.5
    target = switchover.Replica(address=TARGET, priority=100, link_ok=True)
    with pytest.raises(switchover.Refused, match=r"receive every write of the master \(within 0\.5 s"):
        switchover.switch(cluster, params, MASTER, target, SENTINELS[0], budget)  # type: ignore[arg-type]
    assert now[0] <= 0.6
    assert (MASTER, ["CLIENT", "UNPAUSE"]) in cluster.sent
    assert not [sent for sent in cluster.sent if sent[1][:2] == ["SENTINEL", "FAILOVER"]]


def test_a_target_at_the_masters_offset_is_failed_over_to_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Caught up by the target's own INFO, so the failover is asked for without waiting for an ACK."""
    monkeypatch.setattr(switchover.time, "sleep", lambda s: pytest.fail("waited for a target that had every write"))
    cluster = FakePausedCluster(behind=0)

    def stop_after_failover(address: str, *commands: list[str]) -> list[Any]:
        if commands[0][:2] == ["SENTINEL", "FAILOVER"]:
            raise OSError("stop here")
        return FakePausedCluster.sentinel(cluster, address, *commands)

    monkeypatch.setattr(cluster, "sentinel", stop_after_failover)
    target = switchover.Replica(address=TARGET, priority=100, link_ok=True)
    with pytest.raises(OSError, match="stop here"):
        switchover.switch(cluster, {**PARAMS, "pause_ms": 10000}, MASTER, target, SENTINELS[0], 2.5)  # type: ignore[arg-type]
    assert (TARGET, ["INFO", "replication"]) in cluster.sent
    assert (MASTER, ["CLIENT", "UNPAUSE"]) in cluster.sent
