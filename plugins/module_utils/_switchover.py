# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The switchover's decisions, apart from any socket: which replica, and why a move is refused.

The module (plugins/modules/switchover.py) gathers what the Sentinels and the master say, these
functions decide, and the module acts. Kept pure so every refusal is unit-tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ansible_collections.hakit.redis.plugins.module_utils._ha import flags_of, join, pairs_to_dict, to_int

BAD_FLAGS = ("s_down", "o_down", "disconnected")
# sentinelSelectSlave (redis src/sentinel.c) skips a replica whose last INFO is older than three
# INFO periods (3 x 10 s) or that has not answered a PING for five ping periods (5 x 1 s).
INFO_VALID_MS = 30000
PING_VALID_MS = 5000


@dataclass
class Replica:
    """One replica of the master, as the Sentinel (flags, priority) and the master (offset) see it."""

    address: str
    priority: int
    link_ok: bool
    flags: set[str] = field(default_factory=set)
    offset: int | None = None
    online: bool = False
    # What the Sentinel's last INFO of the replica said: its role, the master it follows, and how
    # old that INFO is (ms); with the age of its last good PING reply (ms). None: not reported.
    role_reported: str = "slave"
    master_address: str | None = None
    info_age_ms: int | None = None
    ping_age_ms: int | None = None


def parse_sentinel_replicas(reply: Any) -> list[Replica]:
    """SENTINEL REPLICAS as a list of Replica (RESP2 flat lists or RESP3 maps)."""
    out = []
    for raw in reply or []:
        entry = pairs_to_dict(raw)
        out.append(
            Replica(
                address=f"{entry.get('ip')}:{entry.get('port')}",
                priority=to_int(entry.get("slave-priority")) or 0,
                link_ok=str(entry.get("master-link-status")) == "ok",
                flags=set(str(entry.get("flags", "")).split(",")),
                role_reported=str(entry.get("role-reported", "slave")),
                master_address=_master_of(entry),
                info_age_ms=to_int(entry.get("info-refresh")),
                ping_age_ms=to_int(entry.get("last-ok-ping-reply")),
            )
        )
    return out


def _master_of(entry: dict[str, Any]) -> str | None:
    """The master a SENTINEL REPLICAS entry says the replica follows (None: not reported)."""
    host = entry.get("master-host")
    return join(host, entry.get("master-port")) if host and host != "?" else None


def failover_running(reply: Any) -> bool:
    """Whether a SENTINEL MASTER reply shows that Sentinel still running a failover of the master
    (the flag ha_check reports too): a new one sent meanwhile is refused or races the old one."""
    return "failover_in_progress" in flags_of(pairs_to_dict(reply))


def parse_info(text: str) -> dict[str, str]:
    """INFO's `key:value` lines."""
    out: dict[str, str] = {}
    for line in str(text).splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and not key.startswith("#"):
            out[key] = value
    return out


def master_view(info: dict[str, str]) -> tuple[int, dict[str, tuple[bool, int]]]:
    """The master's offset, and per replica address (online, offset) from INFO replication."""
    replicas: dict[str, tuple[bool, int]] = {}
    for key, value in info.items():
        if key.startswith("slave") and key[5:].isdigit():
            fields = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
            address = f"{fields.get('ip')}:{fields.get('port')}"
            replicas[address] = (fields.get("state") == "online", to_int(fields.get("offset")) or 0)
    return to_int(info.get("master_repl_offset")) or 0, replicas


def caught_up(master_info: dict[str, str], target_info: dict[str, str]) -> bool:
    """Whether the target holds every byte the master had when `master_info` was read (read it first).

    Read on the target itself: the master's own view of a replica's offset comes from the replica's
    REPLCONF ACK, sent once a second, so waiting on it holds the paused writes up to a second longer.
    The offsets compare only within one replication history, hence the same master_replid.
    """
    master_offset = to_int(master_info.get("master_repl_offset"))
    target_offset = to_int(target_info.get("slave_repl_offset"))
    return (
        target_info.get("role") == "slave"
        and target_info.get("master_link_status") == "up"
        and bool(master_info.get("master_replid"))
        and target_info.get("master_replid") == master_info.get("master_replid")
        and master_offset is not None
        and target_offset is not None
        and target_offset >= master_offset
    )


def catch_up_budget(pause_ms: int, down_after_ms: int | None) -> float:
    """Seconds the paused master may wait for the target to catch up.

    A paused master also holds the Sentinels' connection to it: their hello PUBLISH counts as a write
    under CLIENT PAUSE WRITE and the PINGs queued behind it go unanswered. Past down-after-milliseconds
    the Sentinels flag the paused master down and start a failover of their own. So the wait gets at
    most half of down-after (the other half is for the promotion), half of the pause, and 5 s.
    """
    budget = min(5.0, pause_ms / 2000)
    if down_after_ms:
        budget = min(budget, down_after_ms / 2000)
    return budget


def down_after_ms(reply: Any) -> int | None:
    """down-after-milliseconds from a SENTINEL MASTER reply (None: not reported)."""
    return to_int(pairs_to_dict(reply).get("down-after-milliseconds"))


def merge(replicas: list[Replica], online: dict[str, tuple[bool, int]]) -> list[Replica]:
    for replica in replicas:
        replica.online, replica.offset = online.get(replica.address, (False, None))
    return replicas


def refusal(replica: Replica, master_offset: int, max_lag_bytes: int) -> str | None:
    """Why this replica cannot take over now, or None."""
    bad = sorted(replica.flags & set(BAD_FLAGS))
    if bad:
        return f"the Sentinels flag it {','.join(bad)}"
    if not replica.link_ok or not replica.online:
        return "its replication link is not up (not online on the master)"
    if replica.priority <= 0:
        return "its replica-priority is 0, so the Sentinels never promote it (redis_replica_priority)"
    lag = master_offset - (replica.offset or 0)
    if lag > max_lag_bytes:
        return f"it lags {lag} bytes behind the master (more than max_lag_bytes={max_lag_bytes})"
    return None


def choose(
    replicas: list[Replica], target: str | None, master_offset: int, max_lag_bytes: int
) -> tuple[Replica | None, str | None]:
    """(the replica to promote, None) or (None, the reason for refusing)."""
    if target:
        found = [r for r in replicas if r.address == target]
        if not found:
            known = ", ".join(r.address for r in replicas) or "none"
            return None, f"{target} is not a replica of the master (its replicas: {known})"
        why = refusal(found[0], master_offset, max_lag_bytes)
        return (None, f"cannot switch over to {target}: {why}") if why else (found[0], None)
    able = [r for r in replicas if refusal(r, master_offset, max_lag_bytes) is None]
    if not able:
        reasons = "; ".join(f"{r.address}: {refusal(r, master_offset, max_lag_bytes)}" for r in replicas)
        return None, f"no replica can take over ({reasons or 'the master has no replica'})"
    # Sentinel's own order: lowest priority number, then the most data.
    best = sorted(able, key=lambda r: (r.priority, -(r.offset or 0), r.address))[0]
    return best, None


def sentinel_behind(replicas: list[Replica], online: dict[str, tuple[bool, int]], target: str | None) -> bool:
    """The master lists the target (or, without one, some replica) online, but the Sentinel does not
    know it yet or still has its link down: a Sentinel reads a replica's INFO every 10 s, so right
    after a switchover it lags the master. Worth waiting for, not a reason to refuse."""
    candidates = [target] if target else [address for address, (up, _offset) in online.items() if up]
    for address in candidates:
        if online.get(address, (False, 0))[0]:
            known = next((r for r in replicas if r.address == address), None)
            if known is None or not known.link_ok:
                return True
    return False


def sentinel_unready(replica: Replica | None, master: str) -> str | None:
    """Why one Sentinel is not yet ready to see `replica` promoted safely, or None.

    The trap: a Sentinel keeps the role a replica reported in its last INFO, read every 10 s. Right
    after a switchover its last INFO of the old master was taken before the module demoted it, so it
    still says role master. If the next switchover promotes that node before this Sentinel reads INFO
    again, the Sentinel sees "a replica that has reported master for more than 8 s" and, not having
    the new epoch yet, turns it back into a replica (+convert-to-slave): the failover then hangs in
    wait-promotion until failover-timeout. Once its INFO says slave, a promotion is a fresh role change
    that Sentinel waits 8 s on, by which time the new configuration has reached it.
    """
    if replica is None:
        return "does not list it as a replica yet"
    bad = sorted(replica.flags & set(BAD_FLAGS))
    if bad:
        return f"flags it {','.join(bad)}"
    if replica.role_reported != "slave":
        return f"last read role {replica.role_reported} from it (its INFO predates the demotion)"
    if replica.master_address and replica.master_address != master:
        return f"last saw it follow {replica.master_address}, not {master}"
    if not replica.link_ok:
        return "last saw its replication link down"
    if replica.priority <= 0:
        return "sees replica-priority 0 on it"
    if replica.info_age_ms is not None and replica.info_age_ms > INFO_VALID_MS:
        return f"has no INFO from it for {replica.info_age_ms} ms, so it would not select it"
    if replica.ping_age_ms is not None and replica.ping_age_ms > PING_VALID_MS:
        return f"has had no PING reply from it for {replica.ping_age_ms} ms"
    return None


def sentinels_unready(views: dict[str, list[Replica]], target: str, master: str) -> dict[str, str]:
    """Sentinel address -> why it is not ready for `target` to be promoted (ready ones left out)."""
    out: dict[str, str] = {}
    for sentinel, replicas in views.items():
        why = sentinel_unready(next((r for r in replicas if r.address == target), None), master)
        if why:
            out[sentinel] = why
    return out
