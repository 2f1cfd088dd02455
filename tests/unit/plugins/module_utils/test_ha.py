"""_ha: ha_check's decisions, fed with Sentinel and INFO replies as redis-py returns them."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.hakit.redis.plugins.module_utils import _ha

M, R = "10.0.0.1:6379", "10.0.0.2:6379"


def sentinel(
    address: str,
    master: str | None = M,
    others: int = 2,
    quorum: int = 2,
    flags: str = "master",
    ckquorum: bool = True,
    replicas: tuple[str, ...] = (R,),
) -> dict[str, Any]:
    return {
        "address": address,
        "reachable": True,
        "error": None,
        "monitors": True,
        "master": master,
        "state": {"quorum": str(quorum), "num-other-sentinels": str(others), "flags": flags},
        "replicas": [{"ip": r.split(":", maxsplit=1)[0], "port": r.split(":", maxsplit=1)[1]} for r in replicas],
        "ckquorum_ok": ckquorum,
        "ckquorum_message": "OK 3 usable Sentinels." if ckquorum else "NOQUORUM 1 usable Sentinels.",
    }


def down(address: str, kind: str = "unreachable") -> dict[str, Any]:
    return {"address": address, "reachable": False, "error": f"{address}: unreachable", "error_kind": kind}


def master_node(offset: int = 1000, replicas: dict[str, int] | None = None, run_id: str = "a" * 40) -> dict[str, Any]:
    replication: dict[str, Any] = {
        "role": "master",
        "connected_slaves": len(replicas or {}),
        "master_repl_offset": offset,
    }
    for i, (address, their_offset) in enumerate((replicas or {}).items()):
        host, port = address.split(":")
        replication[f"slave{i}"] = {"ip": host, "port": int(port), "state": "online", "offset": their_offset, "lag": 0}
    return {"address": M, "reachable": True, "error": None, "replication": replication, "run_id": run_id}


def replica_node(
    address: str = R, link: str = "up", offset: int = 1000, last_io: int = 1, upstream: str = M
) -> dict[str, Any]:
    host, port = upstream.split(":")
    replication = {
        "role": "slave",
        "master_host": host,
        "master_port": int(port),
        "master_link_status": link,
        "master_last_io_seconds_ago": last_io if link == "up" else -1,
        "slave_repl_offset": offset,
    }
    return {"address": address, "reachable": True, "error": None, "replication": replication, "run_id": "b" * 40}


S1, S2, S3 = "10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"


@pytest.mark.parametrize(
    "reply",
    [["quorum", "2", "flags", "master"], {"quorum": "2", "flags": "master"}],
    ids=["resp2-flat-list", "resp3-map"],
)
def test_pairs_to_dict_reads_both_protocols(reply: Any) -> None:
    assert _ha.pairs_to_dict(reply) == {"quorum": "2", "flags": "master"}


@pytest.mark.parametrize(
    ("probes", "master", "problems"),
    [
        ([sentinel(S1), sentinel(S2), sentinel(S3)], M, []),
        ([sentinel(S1), down(S2), sentinel(S3)], M, []),
        (
            [sentinel(S1), sentinel(S2), sentinel(S3, master=R)],
            M,
            [f"sentinels disagree on master: {M} ({S1}, {S2}), {R} ({S3})"],
        ),
        # a tie is no majority: no master is named (and the split is reported)
        ([sentinel(S1, master=R), sentinel(S2)], None, [f"sentinels disagree on master: {R} ({S1}), {M} ({S2})"]),
        ([down(S1), down(S2)], None, []),
    ],
    ids=["agree", "one-down", "one-disagrees", "tie-is-no-majority", "none"],
)
def test_master_choice(probes: list[dict[str, Any]], master: str | None, problems: list[str]) -> None:
    votes = _ha.master_votes(probes)
    assert _ha.named_master(votes, _ha.answered(probes)) == master
    assert _ha.disagreement_problem(votes) == problems


@pytest.mark.parametrize(
    ("probes", "quorum", "problems"),
    [
        ([sentinel(S1), sentinel(S2), sentinel(S3)], {"configured": 2, "reachable": 3, "total": 3, "ok": True}, []),
        ([sentinel(S1), sentinel(S2), down(S3)], {"configured": 2, "reachable": 2, "total": 3, "ok": True}, []),
        (
            [sentinel(S1), down(S2), down(S3)],
            {"configured": 2, "reachable": 1, "total": 3, "ok": False},
            ["quorum 2 not reachable: 1 of 3 sentinels up"],
        ),
        # quorum 1 of 3 is met by one Sentinel, but a failover still needs a majority to authorise it
        (
            [sentinel(S1, quorum=1), down(S2), down(S3)],
            {"configured": 1, "reachable": 1, "total": 3, "ok": False},
            ["majority 2 not reachable: 1 of 3 sentinels up, no failover possible"],
        ),
        (
            [sentinel(S1, others=1), down(S2)],
            {"configured": 2, "reachable": 1, "total": 2, "ok": False},
            ["quorum 2 not reachable: 1 of 2 sentinels up"],
        ),
        ([sentinel(S1, others=0, quorum=1)], {"configured": 1, "reachable": 1, "total": 1, "ok": True}, []),
        # A Sentinel that knows 3 peers tells us there are 4, even if we were given 2 addresses.
        (
            [sentinel(S1, others=3), sentinel(S2, others=3)],
            {"configured": 2, "reachable": 2, "total": 4, "ok": False},
            ["majority 3 not reachable: 2 of 4 sentinels up, no failover possible"],
        ),
        (
            [down(S1), down(S2), down(S3)],
            {"configured": None, "reachable": 0, "total": 3, "ok": False},
            ["quorum unknown: 0 of 3 sentinels up"],
        ),
        # A Sentinel following another master does not count toward this master's quorum.
        (
            [sentinel(S1), sentinel(S2, master=R), sentinel(S3)],
            {"configured": 2, "reachable": 2, "total": 3, "ok": True},
            [],
        ),
    ],
    ids=[
        "all-up",
        "one-down",
        "two-down",
        "quorum1-no-majority",
        "two-sentinels-one-down",
        "single-sentinel",
        "peers-unknown-to-caller",
        "all-down",
        "disagreeing-one-excluded",
    ],
)
def test_quorum_report(probes: list[dict[str, Any]], quorum: dict[str, Any], problems: list[str]) -> None:
    master = _ha.named_master(_ha.master_votes(probes), _ha.answered(probes))
    assert _ha.quorum_report(probes, master) == (quorum, problems)


@pytest.mark.parametrize(
    ("probe", "problems"),
    [
        (sentinel(S1), []),
        (down(S1), [f"sentinel {S1} unreachable"]),
        (down(S1, "timeout"), [f"sentinel {S1} unreachable"]),
        (down(S1, "auth"), [f"sentinel {S1}: authentication failed (check sentinel_password)"]),
        (down(S1, "noauth"), [f"sentinel {S1}: requires a password (set sentinel_password)"]),
        ({"address": S1, "reachable": True, "monitors": False}, [f"sentinel {S1} does not monitor mymaster"]),
        (sentinel(S1, flags="s_down,master"), [f"sentinel {S1} sees master {M} as down (s_down)"]),
        (sentinel(S1, flags="master,failover_in_progress"), [f"sentinel {S1}: failover in progress"]),
        (sentinel(S1, others=1), [f"sentinel {S1} knows 1 other sentinels, expected 2"]),
        (sentinel(S1, ckquorum=False), [f"sentinel {S1}: CKQUORUM failed: NOQUORUM 1 usable Sentinels."]),
    ],
    ids=[
        "fine",
        "unreachable",
        "timeout",
        "auth",
        "noauth",
        "not-monitoring",
        "sdown",
        "failover",
        "lonely",
        "noquorum",
    ],
)
def test_sentinel_problems(probe: dict[str, Any], problems: list[str]) -> None:
    assert _ha.sentinel_problems(probe, "mymaster", 3) == problems


def test_sentinel_entry_shape() -> None:
    assert _ha.sentinel_entry(sentinel(S1)) == {
        "address": S1,
        "reachable": True,
        "master": M,
        "num_other_sentinels": 2,
        "ckquorum_ok": True,
        "ckquorum_message": "OK 3 usable Sentinels.",
        "error": None,
    }


@pytest.mark.parametrize(
    ("probe", "expected", "entry", "problems"),
    [
        (
            master_node(replicas={R: 1000}),
            None,
            {"host": "10.0.0.1", "port": 6379, "role_confirmed": True, "run_id": "a" * 40, "connected_replicas": 1},
            [],
        ),
        (
            down(M),
            None,
            {"host": "10.0.0.1", "port": 6379, "role_confirmed": False, "run_id": None, "connected_replicas": None},
            [f"master {M} unreachable"],
        ),
        (down(M, "auth"), None, None, [f"master {M}: authentication failed (check redis_password)"]),
        ({**replica_node(M, upstream=R)}, None, None, [f"master {M} answers as replica of {R}"]),
        (master_node(), "10.0.0.1", None, []),
        (master_node(), M, None, []),
        (master_node(), "10.0.0.2", None, [f"master is {M}, expected 10.0.0.2"]),
        (master_node(), "10.0.0.1:6380", None, [f"master is {M}, expected 10.0.0.1:6380"]),
    ],
    ids=[
        "fine",
        "unreachable",
        "auth",
        "demoted",
        "expected-host",
        "expected-hostport",
        "unexpected",
        "unexpected-port",
    ],
)
def test_master(probe: dict[str, Any], expected: str | None, entry: dict[str, Any] | None, problems: list[str]) -> None:
    assert _ha.master_problems(M, probe, expected, "") == problems
    if entry:
        assert _ha.master_entry(M, probe) == entry


def test_no_master() -> None:
    assert _ha.master_problems(None, None, None, "nobody knows") == ["no master known: nobody knows"]
    assert _ha.master_entry(None, None)["host"] is None


LIMITS = {"max_lag_bytes": 100, "max_lag_seconds": 5}


@pytest.mark.parametrize(
    ("probe", "master_probe", "entry", "problems"),
    [
        (
            replica_node(offset=990),
            master_node(1000, {R: 990}),
            {"link_status": "up", "offset_lag_bytes": 10, "last_io_seconds": 1},
            [],
        ),
        # Read after the master: the replica may be ahead; never a negative lag.
        (
            replica_node(offset=1010),
            master_node(1000, {R: 1000}),
            {"link_status": "up", "offset_lag_bytes": 0, "last_io_seconds": 1},
            [],
        ),
        (
            replica_node(link="down", offset=500),
            master_node(1000),
            {"link_status": "down", "offset_lag_bytes": 500, "last_io_seconds": None},
            [f"replica {R} link down"],
        ),
        (
            down(R),
            master_node(1000, {R: 700}),
            {"link_status": "unreachable", "offset_lag_bytes": 300, "last_io_seconds": None},
            [f"replica {R} unreachable"],
        ),
        (
            down(R, "auth"),
            master_node(1000),
            {"link_status": "unreachable", "offset_lag_bytes": None},
            [f"replica {R}: authentication failed (check redis_password)"],
        ),
        (
            replica_node(offset=800),
            master_node(1000, {R: 800}),
            {"offset_lag_bytes": 200},
            [f"replica {R} lags 200 bytes behind the master (max 100)"],
        ),
        (
            replica_node(last_io=9),
            master_node(1000, {R: 1000}),
            {"last_io_seconds": 9},
            [f"replica {R} last heard from the master 9 s ago (max 5)"],
        ),
        (
            replica_node(upstream="10.0.0.9:6379"),
            master_node(1000),
            {"link_status": "up"},
            [f"replica {R} replicates from 10.0.0.9:6379, not from master {M}"],
        ),
        (
            {**master_node(), "address": R},
            master_node(1000),
            {"link_status": "down"},
            [f"replica {R} answers as master"],
        ),
    ],
    ids=[
        "fine",
        "ahead",
        "link-down",
        "unreachable-lag-from-master",
        "auth",
        "lag-bytes",
        "lag-seconds",
        "wrong-upstream",
        "split-brain",
    ],
)
def test_replica_report(
    probe: dict[str, Any], master_probe: dict[str, Any], entry: dict[str, Any], problems: list[str]
) -> None:
    got, got_problems = _ha.replica_report(R, probe, M, master_probe, LIMITS)
    assert {k: got[k] for k in entry} == entry
    assert (got["host"], got["port"]) == ("10.0.0.2", 6379)
    assert got_problems == problems


def test_lag_limits_unset_are_not_checked() -> None:
    problems = _ha.replica_report(R, replica_node(offset=0, last_io=99), M, master_node(10**9), {})[1]
    assert problems == []


def test_replica_candidates_union_without_master_or_duplicates() -> None:
    third = "10.0.0.3:6379"
    sentinels = [sentinel(S1, replicas=(R, third)), sentinel(S2, master="10.0.0.9:6379", replicas=("10.0.0.8:1",))]
    got = _ha.replica_candidates(M, master_node(replicas={R: 1}), sentinels, [M, "10.0.0.4:6379", third])
    assert got == [R, third, "10.0.0.4:6379"]


@pytest.mark.parametrize(
    ("links", "minimum", "problems"),
    [
        (["up"], 1, []),
        (["down"], 1, ["0 healthy replicas, min_replicas is 1"]),
        ([], 0, []),
        (["up", "unreachable"], 2, ["1 healthy replicas, min_replicas is 2"]),
    ],
)
def test_min_replicas(links: list[str], minimum: int, problems: list[str]) -> None:
    replicas = [{"host": f"10.0.0.{i}", "port": 6379, "link_status": link} for i, link in enumerate(links)]
    assert _ha.min_replicas_problem(replicas, {}, minimum) == problems


def test_lagging_replica_is_not_healthy() -> None:
    replicas = [{"host": "10.0.0.2", "port": 6379, "link_status": "up"}]
    assert _ha.min_replicas_problem(replicas, {R: ["lags"]}, 1) == ["0 healthy replicas, min_replicas is 1"]


@pytest.mark.parametrize(
    ("probes", "master", "problems"),
    [
        ([master_node()], M, []),
        ([master_node(), replica_node()], M, []),
        ([replica_node(), master_node()], M, []),
        ([down(M)], None, []),
        (
            [{**master_node(), "address": R}, master_node(replicas={"10.0.0.3:6379": 1})],
            M,
            [f"several nodes answer as master: {M}, {R}"],
        ),
    ],
    ids=["single", "pair", "order", "down", "split-brain-prefers-the-one-with-replicas"],
)
def test_standalone_master(probes: list[dict[str, Any]], master: str | None, problems: list[str]) -> None:
    assert _ha.choose_standalone_master(probes) == (master, problems)


@pytest.mark.parametrize(
    ("probe", "entry", "problems"),
    [
        (master_node(), {"holder_role": "master", "ok": True}, []),
        (replica_node(), {"holder_role": "replica", "ok": False}, ["VIP 10.0.0.100 answers as replica"]),
        (down("10.0.0.100:6379"), {"holder_role": "unreachable", "ok": False}, ["VIP 10.0.0.100 unreachable"]),
        (
            master_node(run_id="c" * 40),
            {"holder_role": "master", "ok": False},
            [f"VIP 10.0.0.100 answers as a different master (run_id {'c' * 40})"],
        ),
    ],
    ids=["on-master", "on-replica", "nowhere", "old-master"],
)
def test_vip_report(probe: dict[str, Any], entry: dict[str, Any], problems: list[str]) -> None:
    got, got_problems = _ha.vip_report("10.0.0.100", probe, "a" * 40)
    assert got == {"address": "10.0.0.100", **entry}
    assert got_problems == problems


def test_vip_without_known_master() -> None:
    problems = _ha.vip_report("10.0.0.100", master_node(), None)[1]
    assert problems == ["VIP 10.0.0.100 answers as master, but the master's run_id is unknown"]
