# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The split-brain window (issue 13): how long an isolated master keeps taking writes, against
the earliest moment the Sentinels can have a new master taking them.

From the Redis 7.0 source (docs/fencing.md has the walk through it):

- The isolated master. A replica sends ``REPLCONF ACK`` once a second (``replicationCron``, and at
  once on ``REPLCONF GETACK``); the master stores the arrival as ``repl_ack_time = server.unixtime``,
  whole seconds. ``refreshGoodSlavesCount`` counts a replica as good while
  ``server.unixtime - repl_ack_time <= min-replicas-max-lag`` and runs from ``replicationCron``, once
  a second; ``processCommand`` refuses writes with ``NOREPLICAS`` once that count is below
  ``min-replicas-to-write``. The last ACK arrives at most at the cut, so the count drops at most
  ``max-lag + 1`` s (truncation to whole seconds) ``+ 1`` s (the next cron) after it: the isolated
  master's last accepted write comes less than ``max-lag + 2`` s after the cut.
  ``min-replicas-max-lag 0`` switches the check off altogether.
- The new master. A Sentinel calls the master subjectively down only when a PING has gone
  unanswered for ``down-after-milliseconds`` (``sentinelCheckSubjectivelyDown``); the objective
  down, the election and ``SLAVEOF NO ONE`` (``SENTINEL_FAILOVER_STATE_SEND_SLAVEOF_NOONE``) all
  come after that, so no replica accepts a write as master before ``down-after`` has passed since
  the cut (measured: down-after + 1-2 s).

Hence the invariant "the isolated master's last write comes before the new master's first" holds
when ``max-lag + 2 <= down-after``; the derived default keeps one more second of margin for a busy
host (a slow command or a fork delaying the master's cron): ``max-lag = down-after - 3 s``, at
least 1 (0 would disable the check; 1 also makes a replica whose ACKs jitter past 1 s briefly
count as lagging, so down-after >= 5000 ms, which gives 2, is the comfortable minimum).
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

# Seconds an isolated master may go on taking writes after max-lag: whole-second ACK times plus
# the once-a-second refresh of the good-replica count.
REDIS_LAG_SLACK_S = 2
# Extra seconds between the isolated master's last write and the earliest promotion.
MARGIN_S = 1
FENCING_MODES = ("none", "replica", "sentinels")


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"{name} must be an integer, not {value!r}") from None


def min_replicas_max_lag(down_after_ms: Any) -> int:
    """The derived default of redis_min_replicas_max_lag: down-after (whole seconds) - 3, at least 1."""
    return max(1, _int(down_after_ms, "sentinel_down_after_ms") // 1000 - REDIS_LAG_SLACK_S - MARGIN_S)


def max_safe_lag(down_after_ms: Any) -> int:
    """The largest max-lag that keeps the invariant for this down-after (may be < 1: none does)."""
    return _int(down_after_ms, "sentinel_down_after_ms") // 1000 - REDIS_LAG_SLACK_S - MARGIN_S


def isolated_window_bound(max_lag: Any) -> int:
    """Upper bound, in seconds after the cut, of the isolated master's last accepted write."""
    return _int(max_lag, "redis_min_replicas_max_lag") + REDIS_LAG_SLACK_S


def split_brain_problem(
    max_lag: Any,
    down_after_ms: Any,
    min_replicas_to_write: Any = 0,
    fencing: Any = "none",
    accepted: Any = False,
) -> str:
    """'' when the combination keeps "no two masters accept writes at once", else what is wrong and
    which knob to turn. Only matters when something relies on min-replicas (to-write >= 1 or fencing)."""
    if str(fencing) not in FENCING_MODES:
        raise AnsibleFilterError(f"redis_fencing must be one of {', '.join(FENCING_MODES)}, not {fencing!r}")
    lag = _int(max_lag, "redis_min_replicas_max_lag")
    down_after = _int(down_after_ms, "sentinel_down_after_ms")
    to_write = _int(min_replicas_to_write, "redis_min_replicas_to_write")
    if bool(accepted) or (to_write < 1 and str(fencing) == "none"):
        return ""
    why = f"redis_min_replicas_to_write is {to_write}" + (
        f" and redis_fencing is {fencing}" if fencing != "none" else ""
    )
    optout = "or set redis_split_brain_window_accepted: true to accept two writable masters for a while"
    if lag < 1:
        return (
            f"redis_min_replicas_max_lag is {lag}, which switches min-replicas-to-write off in Redis ({why}): "
            f"an isolated master would take writes for the whole partition. Leave redis_min_replicas_max_lag "
            f"unset (derived from sentinel_down_after_ms: {min_replicas_max_lag(down_after)}), {optout}."
        )
    safe = max_safe_lag(down_after)
    if lag <= safe:
        return ""
    needed_ms = (lag + REDIS_LAG_SLACK_S + MARGIN_S) * 1000
    lower = (
        f"lower redis_min_replicas_max_lag to {safe} or less (leave it unset: it is derived from "
        f"sentinel_down_after_ms) or "
        if safe >= 1
        else ""
    )
    return (
        f"redis_min_replicas_max_lag is {lag} s and sentinel_down_after_ms is {down_after} ms ({why}): an isolated "
        f"master may go on accepting writes for up to {isolated_window_bound(lag)} s after a partition, and the "
        f"Sentinels can have promoted a replica that takes writes from {down_after / 1000:g} s on, so both would "
        f"accept writes (lost when the old master rejoins). Keep redis_min_replicas_max_lag + 3 <= "
        f"sentinel_down_after_ms / 1000: {lower}raise sentinel_down_after_ms to {needed_ms} or more, {optout}."
    )


class FilterModule:
    """hakit.redis split-brain filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "min_replicas_max_lag": min_replicas_max_lag,
            "split_brain_problem": split_brain_problem,
        }
