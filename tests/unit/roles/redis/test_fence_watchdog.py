"""roles/redis/files/hakit-redis-fence.py (redis_fencing: sentinels, issue 13), with a fake Redis,
fake Sentinel answers and a fake clock."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hakit.redis.plugins.module_utils import _ha

SCRIPT = Path(__file__).resolve().parents[4] / "roles" / "redis" / "files" / "hakit-redis-fence.py"
spec = importlib.util.spec_from_file_location("hakit_redis_fence", SCRIPT)
assert spec is not None and spec.loader is not None
fence = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fence)

SELF, OTHER = "10.0.0.1:6379", "10.0.0.2:6379"
S = ["10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"]


class FakeRedis:
    def __init__(self, role: str = "master", value: int = 0) -> None:
        self.role, self.value, self.rewrites, self.calls = role, value, 0, 0

    def __call__(self, commands: list[list[str]]) -> list[Any]:
        self.calls += 1
        out: list[Any] = []
        for c in commands:
            if c == ["ROLE"]:
                out.append([self.role])
            elif c[:2] == ["CONFIG", "GET"]:
                out.append(["min-replicas-to-write", str(self.value)])
            elif c[:2] == ["CONFIG", "SET"]:
                self.value = int(c[3])
                out.append("OK")
            elif c == ["CONFIG", "REWRITE"]:
                self.rewrites += 1
                out.append("OK")
        return out


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def make(redis: FakeRedis, naming: list[dict[str, list[str]]], wanted: int = 0) -> tuple[Any, Clock]:
    cfg = {"self": SELF, "sentinels": S, "master_name": "mymaster", "min_replicas_to_write": wanted,
           "grace": 1.0, "interval": 0.5, "timeout": 0.3, "promotion_grace": 5.0}  # fmt: skip
    clock = Clock()
    return fence.Fence(cfg, clock=clock, votes=lambda _settings: naming[0], redis=redis), clock


def test_confirmed_master_is_left_alone() -> None:
    r = FakeRedis()
    f, _clock = make(r, [{SELF: S}])
    assert f.step() == "confirmed"
    assert r.value == 0


def test_minority_fences_after_the_grace_and_unfences_on_a_majority() -> None:
    r = FakeRedis(value=0)
    naming = [{SELF: S[:1]}]  # only its own Sentinel (a partition)
    f, clock = make(r, naming)
    assert f.step() == "unconfirmed"
    clock.t += 0.9
    assert f.step() == "unconfirmed"
    assert r.value == 0
    clock.t += 0.2
    assert f.step() == "fenced"
    assert r.value == fence.FENCE
    assert f.step() == "unconfirmed"  # already fenced: no second CONFIG SET
    naming[0] = {SELF: S[:2]}
    assert f.step() == "unfenced"
    assert r.value == 0 and r.rewrites == 1


def test_majority_of_all_configured_not_of_those_answering() -> None:
    """Two Sentinels down: the one left names this node, but 1 of 3 is no majority."""
    r = FakeRedis()
    f, clock = make(r, [{SELF: S[:1]}])
    clock.t += 1.5
    assert f.step() == "fenced"


def test_majority_naming_another_node_fences() -> None:
    r = FakeRedis()
    f, clock = make(r, [{OTHER: S[1:], SELF: S[:1]}])
    clock.t += 2
    assert f.step() == "fenced"


def test_replica_gets_the_configured_value_back_and_the_file_rewritten() -> None:
    r = FakeRedis(role="slave", value=fence.FENCE)
    f, _clock = make(r, [{}], wanted=1)
    assert f.step() == "restored"
    assert r.value == 1 and r.rewrites == 1
    assert f.step() == "replica"


def test_restarted_watchdog_gives_the_grace_again_and_keeps_a_fence() -> None:
    r = FakeRedis(value=fence.FENCE)
    f, clock = make(r, [{}])
    assert f.step() == "unconfirmed" and r.value == fence.FENCE
    clock.t += 5
    assert f.step() == "unconfirmed" and r.value == fence.FENCE


def test_a_replica_resets_the_grace_so_a_fresh_promotion_is_not_fenced_at_once() -> None:
    r = FakeRedis(role="slave")
    f, clock = make(r, [{OTHER: S}])
    clock.t += 10
    f.step()
    r.role = "master"  # promoted; the Sentinels still name the old master for a moment
    clock.t += 0.5
    assert f.step() == "unconfirmed" and r.value == 0
    clock.t += 4.0  # within promotion_grace (5 s) of the promotion
    assert f.step() == "unconfirmed" and r.value == 0
    clock.t += 1.5
    assert f.step() == "fenced"


@pytest.mark.parametrize(
    ("votes", "total"),
    [({SELF: S}, 3), ({SELF: S[:2]}, 3), ({SELF: S[:1]}, 3), ({SELF: S[:1], OTHER: S[1:]}, 3), ({}, 3),
     ({SELF: S[:1]}, 1), ({SELF: S[:1]}, 2), ({SELF: S[:2]}, 4)],
)  # fmt: skip
def test_named_master_is_the_collections_rule_with_every_sentinel_counted(votes: dict, total: int) -> None:
    assert fence.named_master(votes, total) == _ha.named_master(votes, total)


def test_load_defaults(tmp_path: Path) -> None:
    path = tmp_path / "fence.json"
    path.write_text(json.dumps({"self": SELF, "sentinels": S}))
    cfg = fence.load(str(path))
    assert (cfg["interval"], cfg["grace"], cfg["timeout"], cfg["promotion_grace"]) == (0.5, 1.0, 0.3, 5.0)


def test_resp_encoding_round_trip() -> None:
    import io

    assert fence._encode(["SET", "k", "v w"]) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv w\r\n"
    stream = io.BytesIO(b"*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n")
    assert fence._read_reply(stream) == ["127.0.0.1", "6379"]
    with pytest.raises(fence.RespError):
        fence._read_reply(io.BytesIO(b"-NOAUTH x\r\n"))


@pytest.mark.parametrize("role", ["master", "slave"])
def test_a_value_the_role_set_is_left_alone(role: str) -> None:
    """The role changed min-replicas-to-write (a replica added) before the watchdog re-read its
    settings, or while removing it: only the fence value is the watchdog's to change."""
    r = FakeRedis(role=role, value=1)
    f, _clock = make(r, [{SELF: S}], wanted=0)
    assert f.step() in ("confirmed", "replica")
    assert r.value == 1 and r.rewrites == 0
