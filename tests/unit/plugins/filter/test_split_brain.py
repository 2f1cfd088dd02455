"""The split-brain window (issue 13): the derived max-lag and preflight's refusal."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.hakit.redis.plugins.filter.split_brain import (
    FilterModule,
    isolated_window_bound,
    max_safe_lag,
    min_replicas_max_lag,
    split_brain_problem,
)


@pytest.mark.parametrize(
    ("down_after_ms", "lag"),
    [(5000, 2), (5999, 2), (6000, 3), (10000, 7), (30000, 27), (4000, 1), (3000, 1), (100, 1), ("5000", 2)],
)
def test_derived_max_lag(down_after_ms: object, lag: int) -> None:
    assert min_replicas_max_lag(down_after_ms) == lag


@pytest.mark.parametrize("down_after_ms", range(4000, 60001, 250))
def test_derived_max_lag_keeps_the_window_shut_with_a_second_of_margin(down_after_ms: int) -> None:
    lag = min_replicas_max_lag(down_after_ms)
    # the isolated master's last write (< lag + 2 s) comes at least 1 s before the earliest promotion
    assert isolated_window_bound(lag) + 1 <= down_after_ms / 1000
    assert split_brain_problem(lag, down_after_ms, 1) == ""
    assert split_brain_problem(lag + 1, down_after_ms, 1) != ""


def test_max_safe_lag() -> None:
    assert max_safe_lag(5000) == 2
    assert max_safe_lag(3000) == 0


def test_old_default_refused_at_the_default_down_after_and_names_the_knobs() -> None:
    msg = split_brain_problem(10, 5000, 1)
    for word in ("redis_min_replicas_max_lag is 10", "sentinel_down_after_ms is 5000", "12 s",
                 "to 2 or less", "13000", "redis_split_brain_window_accepted"):  # fmt: skip
        assert word in msg, word


@pytest.mark.parametrize("fencing", ["replica", "sentinels"])
def test_fencing_needs_a_safe_lag_even_without_min_replicas(fencing: str) -> None:
    assert "redis_fencing is " + fencing in split_brain_problem(10, 5000, 0, fencing)


def test_no_min_replicas_and_no_fencing_is_not_this_check() -> None:
    assert split_brain_problem(10, 5000, 0, "none") == ""


def test_opt_out() -> None:
    assert split_brain_problem(10, 5000, 1, "replica", True) == ""


def test_down_after_too_short_for_any_lag() -> None:
    msg = split_brain_problem(1, 3000, 1)
    assert "lower redis_min_replicas_max_lag" not in msg  # no lag works: only down-after can move
    assert "raise sentinel_down_after_ms to 4000" in msg


def test_zero_lag_disables_the_check_in_redis() -> None:
    assert "switches min-replicas-to-write off" in split_brain_problem(0, 5000, 1)


def test_bad_values() -> None:
    with pytest.raises(AnsibleFilterError, match="redis_fencing"):
        split_brain_problem(2, 5000, 1, "maybe")
    with pytest.raises(AnsibleFilterError, match="sentinel_down_after_ms"):
        min_replicas_max_lag("soon")


def test_filters_registered() -> None:
    assert set(FilterModule().filters()) == {"min_replicas_max_lag", "split_brain_problem"}
