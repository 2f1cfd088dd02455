"""Who can follow whom in a mixed-release or mixed-engine cluster (issue 16): preflight's refusal."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.hakit.redis.plugins.filter.engines import (
    FilterModule,
    package_pins,
    replication_format_problems,
)

BOOKWORM_REDIS = {"engine": "redis", "version": "7.0", "release": "Debian 12 (bookworm)", "rdb": 10}
TRIXIE_REDIS = {"engine": "redis", "version": "8.0", "release": "Debian 13 (trixie)", "rdb": 12}
TRIXIE_VALKEY = {"engine": "valkey", "version": "8.1", "release": "Debian 13 (trixie)", "rdb": 11}


def node(host: str, kind: dict[str, Any], promotable: bool = True) -> dict[str, Any]:
    return {"host": host, **kind, "promotable": promotable}


@pytest.mark.parametrize(
    "kinds",
    [
        [BOOKWORM_REDIS, BOOKWORM_REDIS],
        [TRIXIE_VALKEY, TRIXIE_VALKEY],
        [TRIXIE_REDIS, TRIXIE_REDIS, TRIXIE_REDIS],
        # Redis 8 follows a Valkey 8.1 master and the reverse is refused only when Redis 8 may lead
        [TRIXIE_VALKEY, TRIXIE_VALKEY, {**TRIXIE_REDIS, "rdb": 0}],
    ],
)
def test_one_format_everywhere_is_fine(kinds: list[dict[str, Any]]) -> None:
    assert replication_format_problems([node(f"n{i}", k) for i, k in enumerate(kinds)]) == []


def test_upgrade_host_by_host_needs_the_new_replica_kept_from_promotion() -> None:
    # a bookworm master and a trixie replica (the first step of an OS upgrade): the trixie node
    # writes RDB 12, which Redis 7.0 cannot load, so it must not become master yet
    nodes = [node("old", BOOKWORM_REDIS), node("new", TRIXIE_REDIS)]
    (problem,) = replication_format_problems(nodes)
    assert problem.startswith("new (Redis 8.0 on Debian 13 (trixie), RDB 12) can become master")
    assert "old (Redis 7.0 on Debian 12 (bookworm), RDB 10)" in problem
    assert "redis_replica_priority: 0 on new" in problem and "Upgrade old first" in problem
    # replica-priority 0: it follows the bookworm master and is never promoted
    assert replication_format_problems([node("old", BOOKWORM_REDIS), node("new", TRIXIE_REDIS, False)]) == []


def test_the_initial_master_kept_from_promotion_is_told_to_move_redis_initial_master() -> None:
    # the host upgraded first is the first of group redis (redis_initial_master by default) and a
    # replica now: priority 0 is set as told, so the message must not ask for it again
    nodes = [node("old", BOOKWORM_REDIS), {**node("new", TRIXIE_REDIS), "initial": True, "priority": 0}]
    (problem,) = replication_format_problems(nodes)
    assert problem.startswith("new (Redis 8.0 on Debian 13 (trixie), RDB 12) can become master")
    assert "has redis_replica_priority: 0 already but is redis_initial_master" in problem
    assert "set redis_initial_master to old" in problem
    assert "set redis_replica_priority: 0 on new" not in problem
    # once redis_initial_master names the bookworm node, the trixie node is promotable no more
    nodes = [{**node("old", BOOKWORM_REDIS), "initial": True}, {**node("new", TRIXIE_REDIS, False), "priority": 0}]
    assert replication_format_problems(nodes) == []
    # the initial master at the default priority still gets the priority advice
    (problem,) = replication_format_problems(
        [node("old", BOOKWORM_REDIS), {**node("new", TRIXIE_REDIS), "initial": True, "priority": 100}]
    )
    assert "set redis_replica_priority: 0 on new" in problem


@pytest.mark.parametrize(
    ("source", "follower", "ok"),
    [
        (BOOKWORM_REDIS, TRIXIE_VALKEY, True),  # the migration's way: Redis 7.0 -> Valkey 8.1
        (TRIXIE_VALKEY, BOOKWORM_REDIS, False),
        (TRIXIE_REDIS, TRIXIE_VALKEY, False),  # Valkey 8.1 refuses RDB 12 (measured)
        (TRIXIE_VALKEY, TRIXIE_REDIS, True),
        (BOOKWORM_REDIS, TRIXIE_REDIS, True),
    ],
)
def test_direction_of_each_pair(source: dict[str, Any], follower: dict[str, Any], ok: bool) -> None:
    nodes = [node("src", source), node("dst", follower, promotable=False)]
    assert (replication_format_problems(nodes) == []) is ok


def test_redis_8_into_valkey_says_a_live_migration_cannot_start_from_it() -> None:
    (problem,) = replication_format_problems([node("r8", TRIXIE_REDIS), node("vk", TRIXIE_VALKEY, False)])
    assert "Valkey 8 loads RDB 11 at most" in problem and "Redis 7.0 or 7.2 as the source" in problem
    # the migration's way round is fine: Valkey replicas of a Redis 7.0 master, kept from promotion
    nodes = [node("old", BOOKWORM_REDIS), node("vk1", TRIXIE_VALKEY, False), node("vk2", TRIXIE_VALKEY, False)]
    assert replication_format_problems(nodes) == []


def test_bad_input_is_an_error() -> None:
    with pytest.raises(AnsibleFilterError):
        replication_format_problems("node1")
    assert {"replication_format_problems", "package_pins"} <= set(FilterModule().filters())


def test_package_pins_pins_the_engines_own_packages_only() -> None:
    packages = ["redis-server", "redis-tools", "python3-redis"]
    assert package_pins(packages, "5:7.0.15-1~deb12u10") == [
        "redis-server=5:7.0.15-1~deb12u10",
        "redis-tools=5:7.0.15-1~deb12u10",
        "python3-redis",
    ]
    assert package_pins(["valkey-sentinel", "valkey-tools"], "8.1.1+dfsg1-1") == [
        "valkey-sentinel=8.1.1+dfsg1-1",
        "valkey-tools=8.1.1+dfsg1-1",
    ]


def test_package_pins_without_a_version_changes_nothing() -> None:
    assert package_pins(["redis-server", "python3-redis"], "") == ["redis-server", "python3-redis"]
    assert package_pins(["redis-server"], None) == ["redis-server"]


def test_package_pins_refuses_a_string() -> None:
    with pytest.raises(AnsibleFilterError):
        package_pins("redis-server", "1")
