"""hakit.redis.switchover's wait for a failover still running, before anything is paused."""

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
