"""_switchover: which replica a switchover promotes, and why it refuses."""

from __future__ import annotations

import pytest

from ansible_collections.hakit.redis.plugins.module_utils._switchover import (
    Replica,
    catch_up_budget,
    caught_up,
    choose,
    down_after_ms,
    master_view,
    merge,
    parse_info,
    parse_sentinel_replicas,
    refusal,
    sentinel_behind,
    sentinel_unready,
    sentinels_unready,
)

INFO = (
    "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n"
    "slave0:ip=10.0.0.12,port=6379,state=online,offset=1000,lag=0\r\n"
    "slave1:ip=10.0.0.14,port=6379,state=wait_bgsave,offset=0,lag=0\r\n"
    "master_repl_offset:1010\r\n"
)


def replica(address: str = "10.0.0.12:6379", **kw: object) -> Replica:
    base: dict[str, object] = {"priority": 100, "link_ok": True, "flags": {"slave"}, "offset": 1000, "online": True}
    base.update(kw)
    return Replica(address=address, **base)  # type: ignore[arg-type]


def test_master_view_reads_offsets_and_states() -> None:
    offset, online = master_view(parse_info(INFO))
    assert offset == 1010
    assert online == {"10.0.0.12:6379": (True, 1000), "10.0.0.14:6379": (False, 0)}


def test_sentinel_replicas_resp2_and_resp3() -> None:
    flat = [["ip", "10.0.0.12", "port", "6379", "flags", "slave", "master-link-status", "ok", "slave-priority", "100"]]
    as_map = [
        {"ip": "10.0.0.14", "port": "6379", "flags": "slave,s_down", "master-link-status": "err", "slave-priority": "0"}
    ]
    got = parse_sentinel_replicas(flat) + parse_sentinel_replicas(as_map)
    assert [(r.address, r.priority, r.link_ok, "s_down" in r.flags) for r in got] == [
        ("10.0.0.12:6379", 100, True, False),
        ("10.0.0.14:6379", 0, False, True),
    ]
    merged = merge(got, master_view(parse_info(INFO))[1])
    assert [(r.online, r.offset) for r in merged] == [(True, 1000), (False, 0)]


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"flags": {"slave", "s_down"}}, "flag it s_down"),
        ({"link_ok": False}, "link is not up"),
        ({"online": False}, "link is not up"),
        ({"priority": 0}, "replica-priority is 0"),
        ({"offset": 10}, "lags 1000 bytes"),
    ],
)
def test_each_refusal_is_named(kw: dict[str, object], words: str) -> None:
    assert words in (refusal(replica(**kw), 1010, 100) or "")


def test_a_healthy_replica_is_accepted() -> None:
    assert refusal(replica(), 1010, 100) is None


def test_choose_a_named_target_or_say_why_not() -> None:
    replicas = [replica(), replica("10.0.0.14:6379", priority=0)]
    assert choose(replicas, "10.0.0.12:6379", 1010, 100) == (replicas[0], None)
    target, why = choose(replicas, "10.0.0.14:6379", 1010, 100)
    assert target is None and "replica-priority is 0" in str(why)
    target, why = choose(replicas, "10.0.0.99:6379", 1010, 100)
    assert target is None and "not a replica of the master" in str(why) and "10.0.0.12:6379" in str(why)


def test_choose_follows_sentinels_order_without_a_target() -> None:
    low_prio = replica("10.0.0.13:6379", priority=10, offset=900)
    more_data = replica("10.0.0.14:6379", priority=100, offset=1010)
    assert choose([replica(), more_data, low_prio], None, 1010, 1000)[0] is low_prio
    assert choose([replica(), more_data], None, 1010, 1000)[0] is more_data


def test_choose_refuses_when_no_replica_can_take_over() -> None:
    target, why = choose([replica(online=False)], None, 1010, 100)
    assert target is None and "no replica can take over" in str(why)
    assert "the master has no replica" in str(choose([], None, 0, 0)[1])


def test_sentinel_behind_the_master_is_waited_for_not_refused() -> None:
    online = {"10.0.0.12:6379": (True, 1000), "10.0.0.14:6379": (False, 0)}
    assert sentinel_behind([], online, "10.0.0.12:6379"), "the Sentinel does not list it yet"
    assert sentinel_behind([replica(link_ok=False)], online, None), "the Sentinel still has its link down"
    assert not sentinel_behind([replica()], online, "10.0.0.12:6379"), "both agree: nothing to wait for"
    assert not sentinel_behind([], online, "10.0.0.14:6379"), "down on the master too: refuse at once"
    assert not sentinel_behind([replica(priority=0)], online, None), "priority 0 is no lag: refuse at once"


# A switchover right after another: a Sentinel still running the previous failover (it
# reconfigures the old master after the new one answers) must be waited for before writes pause.
@pytest.mark.parametrize(
    "flags, running",
    [("master", False), ("master,failover_in_progress", True), ("master,s_down,o_down,failover_in_progress", True)],
)
def test_failover_running_reads_the_master_flags(flags: str, running: bool) -> None:
    from ansible_collections.hakit.redis.plugins.module_utils._switchover import failover_running

    assert failover_running(["name", "mymaster", "flags", flags]) is running
    assert failover_running({"name": "mymaster", "flags": flags}) is running


# Back-to-back switchovers (issue 14): every Sentinel must have read the target as a replica of the
# master in a fresh INFO before writes pause, else a Sentinel whose last INFO still says "master"
# (read before the previous switchover demoted it) undoes the promotion (+convert-to-slave).
MASTER = "10.0.0.11:6379"


def test_sentinel_replicas_reads_role_master_and_ages() -> None:
    entry = ["ip", "10.0.0.12", "port", "6379", "flags", "slave", "master-link-status", "ok", "slave-priority", "100",
             "role-reported", "master", "master-host", "10.0.0.11", "master-port", "6379", "info-refresh", "9000",
             "last-ok-ping-reply", "300"]  # fmt: skip
    got = parse_sentinel_replicas([entry])[0]
    assert (got.role_reported, got.master_address, got.info_age_ms, got.ping_age_ms) == ("master", MASTER, 9000, 300)
    unknown = parse_sentinel_replicas([{"ip": "10.0.0.12", "port": "6379", "master-host": "?", "master-port": "0"}])[0]
    assert unknown.master_address is None and unknown.role_reported == "slave"


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"role_reported": "master"}, "role master"),
        ({"master_address": "10.0.0.14:6379"}, "follow 10.0.0.14:6379"),
        ({"link_ok": False}, "link down"),
        ({"flags": {"slave", "disconnected"}}, "flags it disconnected"),
        ({"priority": 0}, "replica-priority 0"),
        ({"info_age_ms": 31000}, "no INFO from it for 31000 ms"),
        ({"ping_age_ms": 6000}, "no PING reply"),
    ],
)
def test_each_unready_sentinel_says_why(kw: dict[str, object], words: str) -> None:
    fresh: dict[str, object] = {"master_address": MASTER, "info_age_ms": 2000, "ping_age_ms": 100}
    assert words in (sentinel_unready(replica(**{**fresh, **kw}), MASTER) or "")


def test_a_sentinel_with_a_fresh_replica_view_is_ready() -> None:
    assert sentinel_unready(replica(master_address=MASTER, info_age_ms=2000, ping_age_ms=100), MASTER) is None
    assert sentinel_unready(replica(), MASTER) is None, "fields a Sentinel does not report are no reason"
    assert "does not list it" in str(sentinel_unready(None, MASTER))


def test_sentinels_unready_names_each_sentinel_that_lags() -> None:
    fresh, stale = replica(master_address=MASTER), replica(role_reported="master")
    views = {"s1:26379": [fresh], "s2:26379": [stale], "s3:26379": []}
    got = sentinels_unready(views, "10.0.0.12:6379", MASTER)
    assert set(got) == {"s2:26379", "s3:26379"}
    assert "role master" in got["s2:26379"] and "does not list it" in got["s3:26379"]
    assert sentinels_unready({"s1:26379": [fresh]}, "10.0.0.12:6379", MASTER) == {}


MASTER_INFO = {"role": "master", "master_replid": "a" * 40, "master_repl_offset": "5000"}
TARGET_INFO = {
    "role": "slave",
    "master_link_status": "up",
    "master_replid": "a" * 40,
    "slave_repl_offset": "5000",
}


def test_a_target_at_the_masters_offset_has_caught_up() -> None:
    assert caught_up(MASTER_INFO, TARGET_INFO)
    assert caught_up(MASTER_INFO, {**TARGET_INFO, "slave_repl_offset": "5014"})  # a PING since the master's read


@pytest.mark.parametrize(
    "change",
    [
        {"slave_repl_offset": "4999"},  # one byte behind
        {"master_link_status": "down"},
        {"role": "master"},  # promoted by someone else: its offset says nothing about this master
        {"master_replid": "b" * 40},  # another history: offsets do not compare
        {"slave_repl_offset": None},
    ],
)
def test_a_target_that_may_miss_a_write_has_not_caught_up(change: dict[str, str | None]) -> None:
    target = {k: v for k, v in {**TARGET_INFO, **change}.items() if v is not None}
    assert not caught_up(MASTER_INFO, target)


def test_a_master_without_replid_or_offset_is_never_caught_up_with() -> None:
    assert not caught_up({**MASTER_INFO, "master_replid": ""}, TARGET_INFO)
    assert not caught_up({"role": "master", "master_replid": "a" * 40}, TARGET_INFO)


@pytest.mark.parametrize(
    ("pause_ms", "down_after", "budget"),
    [
        (10000, 5000, 2.5),  # the roles' default down-after: half of it
        (10000, 30000, 5.0),  # Redis's own default down-after: capped at 5 s
        (10000, 1000, 0.5),
        (2000, 5000, 1.0),  # a short pause: half of it
        (10000, None, 5.0),  # not reported: the pause's own bounds
    ],
)
def test_catch_up_budget_stays_under_half_of_down_after(pause_ms: int, down_after: int | None, budget: float) -> None:
    assert catch_up_budget(pause_ms, down_after) == budget


def test_down_after_ms_reads_sentinel_master_resp2_and_resp3() -> None:
    assert down_after_ms(["name", "mymaster", "down-after-milliseconds", "5000"]) == 5000
    assert down_after_ms({"name": "mymaster", "down-after-milliseconds": 1000}) == 1000
    assert down_after_ms(["name", "mymaster"]) is None
