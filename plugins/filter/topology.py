# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hakit.redis.failure_analysis: which single failures an inventory survives, and why.

The model: every node runs redis-server if it is in `redis`, redis-sentinel if it is in `sentinel`,
keepalived if it is a redis node and a VIP is set. A single failure is one process crash (its
service manager, supervisor or systemd, restarts it within seconds), one node loss (lasts until the
node returns), or one partition between two nodes (only that pair stops talking). Sentinel fails
over when the Sentinels that lost the master reach `quorum`, one of them gathers votes from a
majority of all Sentinels, and it can reach a replica to promote.

Docs: plugins/filter/failure_analysis.yml. The pure function `analyse()` is what the unit tests use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from ansible.errors import AnsibleFilterError

REDIS = "redis-server"
SENTINEL = "redis-sentinel"
KEEPALIVED = "keepalived"
# Who restarts a crashed process, as the reasons name it: the roles run every daemon with
# autorestart (supervisor) or Restart=always (their systemd drop-ins), so either restarts it.
RESTARTERS = {"supervisor": "the supervisor", "systemd": "systemd"}


@dataclass(frozen=True)
class Topology:
    """The inventory's shape, as the analysis sees it."""

    redis: tuple[str, ...]
    sentinel: tuple[str, ...]
    master: str
    quorum: int
    vip: bool = False
    min_replicas_to_write: int = 0
    service_manager: str = "supervisor"

    @property
    def restarter(self) -> str:
        """The subject of "... restarts it" in the reasons: the manager that really runs the daemons."""
        return RESTARTERS[self.service_manager]

    @property
    def nodes(self) -> list[str]:
        return list(self.redis) + [h for h in self.sentinel if h not in self.redis]

    @property
    def replicas(self) -> list[str]:
        return [h for h in self.redis if h != self.master]

    @property
    def majority(self) -> int:
        return len(self.sentinel) // 2 + 1

    @property
    def needed(self) -> int:
        """Sentinels that must take part in a failover: quorum to agree, majority to authorise."""
        return max(self.quorum, self.majority)

    def processes(self, node: str) -> list[str]:
        procs = [REDIS] if node in self.redis else []
        procs += [SENTINEL] if node in self.sentinel else []
        procs += [KEEPALIVED] if self.vip and node in self.redis else []
        return procs


@dataclass
class Failure:
    """One single failure: lost processes, lost nodes, or a cut pair; `transient` for crashes."""

    name: str
    lost_procs: set[tuple[str, str]] = field(default_factory=set)
    lost_nodes: set[str] = field(default_factory=set)
    cut: frozenset[str] = frozenset()
    transient: bool = False

    def alive(self, proc: str, node: str) -> bool:
        return node not in self.lost_nodes and (proc, node) not in self.lost_procs

    def link(self, a: str, b: str) -> bool:
        return a == b or frozenset((a, b)) != self.cut


def plural(count: int, noun: str) -> str:
    """ "1 Sentinel", "2 Sentinels"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def names(hosts: list[str]) -> str:
    """ "node1", "node1 and node2", "node1, node2 and node3"."""
    hosts = list(hosts)
    if len(hosts) <= 1:
        return "".join(hosts) or "none"
    return ", ".join(hosts[:-1]) + " and " + hosts[-1]


def result(
    failure: Failure, writes: str, reason: str, warning: str | None = None, failover: bool = False
) -> dict[str, Any]:
    return {"failure": failure.name, "writes": writes, "reason": reason, "warning": warning, "failover": failover}


def mrw_warning(topo: Topology, connected: int) -> str | None:
    """The min-replicas-to-write trap: a replica loss becomes a write outage."""
    if topo.min_replicas_to_write and connected < topo.min_replicas_to_write:
        return (
            f"min-replicas-to-write {topo.min_replicas_to_write} with {connected} connected replica(s): "
            "the master refuses writes (NOREPLICAS) until enough replicas are back"
        )
    return None


def can_fail_over(topo: Topology, sentinels: list[str], replicas: list[str]) -> str | None:
    """Why Sentinel could not promote a replica with these Sentinels and replicas; None if it can."""
    if not topo.sentinel:
        return "there is no Sentinel"
    if topo.quorum > len(topo.sentinel):
        return f"quorum {topo.quorum} is more than the {len(topo.sentinel)} Sentinels"
    if len(sentinels) < topo.needed:
        return (
            f"{len(sentinels)} of {len(topo.sentinel)} Sentinels left, a failover needs {topo.needed} "
            f"(quorum {topo.quorum}, majority {topo.majority})"
        )
    if not replicas:
        return "no replica left to promote"
    return None


def baseline_failover(topo: Topology) -> bool:
    """Whether the intact deployment fails over at all (topology 1 never does)."""
    return can_fail_over(topo, list(topo.sentinel), topo.replicas) is None


def master_lost(topo: Topology, failure: Failure) -> dict[str, Any]:
    """redis-server on the master is gone (crash or node loss)."""
    sentinels = [s for s in topo.sentinel if failure.alive(SENTINEL, s)]
    replicas = [r for r in topo.replicas if failure.alive(REDIS, r)]
    why_not = can_fail_over(topo, sentinels, replicas)
    if failure.transient:
        if why_not:
            return result(
                failure,
                "down until restart",
                f"writes stop until {topo.restarter} restarts redis-server on {topo.master}; "
                f"no failover because {why_not}",
            )
        return result(
            failure,
            "ok",
            f"writes pause until {topo.restarter} restarts redis-server on {topo.master} (seconds); if it "
            f"stays down past down-after-milliseconds, {plural(len(sentinels), 'Sentinel')} promote {replicas[0]}",
            failover=True,
        )
    if why_not:
        return result(failure, "down", f"writes stop until {topo.master} returns: no failover because {why_not}")
    new_master, rest = replicas[0], replicas[1:]
    moved = f"; the VIP moves to {new_master}" if topo.vip else ""
    reason = (
        f"Sentinels on {names(sentinels)} ({len(sentinels)} of {len(topo.sentinel)}, quorum {topo.quorum}) "
        f"promote {new_master} after down-after-milliseconds{moved}"
    )
    warning = mrw_warning(topo, len(rest))
    if warning:
        return result(
            failure,
            "down",
            reason + f", but {new_master} has too few replicas to accept writes",
            warning,
            failover=True,
        )
    after = can_fail_over(topo, sentinels, rest)
    if after:
        return result(failure, "degraded", f"{reason}; then no automatic failover: {after}", failover=True)
    return result(failure, "ok", reason, failover=True)


def split_brain(topo: Topology, failure: Failure, cut_off: list[str]) -> dict[str, Any] | None:
    """Sentinels that lost a live master may still promote a replica on their side."""
    for leader in cut_off:
        agree = [s for s in cut_off if failure.link(leader, s)]
        voters = [s for s in topo.sentinel if failure.alive(SENTINEL, s) and failure.link(leader, s)]
        targets = [r for r in topo.replicas if failure.alive(REDIS, r) and failure.link(leader, r)]
        if len(agree) >= topo.quorum and len(voters) >= topo.majority and targets:
            bounded = (
                f"; with min-replicas-to-write {topo.min_replicas_to_write} {topo.master} refuses writes "
                "within min-replicas-max-lag + 2 s, which bounds the loss (with the max-lag derived from "
                "down-after, before the promotion)"
                if topo.min_replicas_to_write
                else "; redis_fencing (replica or sentinels) bounds them"
            )
            warning = (
                f"split brain: {topo.master} keeps accepting writes from clients that still reach it while "
                f"{targets[0]} is promoted; those writes are lost when {topo.master} rejoins as a replica"
                f"{bounded}"
            )
            reason = (
                f"Sentinels on {names(agree)} lose {topo.master} and reach quorum {topo.quorum} with "
                f"{len(voters)} of {len(topo.sentinel)} votes: they promote {targets[0]}"
            )
            return result(failure, "degraded", reason, warning, failover=True)
    return None


def master_alive(topo: Topology, failure: Failure) -> dict[str, Any]:
    """The master runs; what the failure costs is replicas, Sentinels or a side of a partition."""
    sentinels = [s for s in topo.sentinel if failure.alive(SENTINEL, s)]
    cut_off = [s for s in sentinels if not failure.link(s, topo.master)]
    brain = split_brain(topo, failure, cut_off)
    if brain:
        return brain
    replicas = [r for r in topo.replicas if failure.alive(REDIS, r)]
    connected = [r for r in replicas if failure.link(topo.master, r)]
    until = f"until {topo.restarter} restarts it" if failure.transient else "until it is repaired"
    notes = []
    if cut_off:
        short = f"{len(cut_off)} < quorum {topo.quorum}" if len(cut_off) < topo.quorum else "no majority votes"
        verb = "loses" if len(cut_off) == 1 else "lose"
        who = f"{plural(len(cut_off), 'Sentinel')} on {names(cut_off)}"
        notes.append(f"{who} {verb} {topo.master}, {short}: no failover")
    lost_sentinels = len(topo.sentinel) - len(sentinels)
    if lost_sentinels and len(sentinels) >= topo.needed:
        notes.append(
            f"{len(sentinels)} of {len(topo.sentinel)} Sentinels left, still enough for a failover "
            f"(needs {topo.needed})"
        )
    lost_replicas = [r for r in topo.replicas if r not in connected]
    if lost_replicas:
        notes.append(f"{names(lost_replicas)} stops replicating")
    warning = mrw_warning(topo, len(connected))
    if warning:
        writes = "down until restart" if failure.transient else "down"
        return result(failure, writes, "; ".join([*notes, f"{topo.master} refuses writes {until}"]), warning)
    why_not = can_fail_over(topo, sentinels, connected)
    if baseline_failover(topo) and why_not:
        return result(
            failure,
            "degraded",
            "; ".join([*notes, f"writes continue on {topo.master}; no automatic failover {until}: {why_not}"]),
        )
    if topo.replicas and not connected:
        return result(
            failure, "degraded", "; ".join([*notes, f"writes continue on {topo.master} without a replica copy {until}"])
        )
    return result(failure, "ok", "; ".join([*notes, f"writes continue on {topo.master}"]))


def keepalived_crash(topo: Topology, failure: Failure, node: str) -> dict[str, Any]:
    if node == topo.master:
        reason = (
            f"the VIP stays on {node}'s interface after an abrupt exit and {topo.restarter} restarts "
            "keepalived; Sentinel-aware clients are unaffected"
        )
    else:
        reason = f"only a backup keepalived is lost; the VIP stays on {topo.master}"
    return result(failure, "ok", reason)


def evaluate(topo: Topology, failure: Failure, crashed: tuple[str, str] | None = None) -> dict[str, Any]:
    if crashed and crashed[0] == KEEPALIVED:
        return keepalived_crash(topo, failure, crashed[1])
    if not failure.alive(REDIS, topo.master):
        return master_lost(topo, failure)
    return master_alive(topo, failure)


def failures(topo: Topology) -> list[tuple[Failure, tuple[str, str] | None]]:
    """Every single failure, in the order they are reported."""
    found: list[tuple[Failure, tuple[str, str] | None]] = []
    for node in topo.nodes:
        for proc in topo.processes(node):
            found.append(
                (Failure(f"process crash: {proc} on {node}", lost_procs={(proc, node)}, transient=True), (proc, node))
            )
    for node in topo.nodes:
        found.append((Failure(f"node loss: {node}", lost_nodes={node}), None))
    for a, b in combinations(topo.nodes, 2):
        found.append((Failure(f"partition: {a} <-> {b}", cut=frozenset((a, b))), None))
    return found


def topology_from(
    redis: list[str],
    sentinel: list[str] | None = None,
    master: str | None = None,
    quorum: int | None = None,
    vip: Any = False,
    min_replicas_to_write: int = 0,
    service_manager: str = "supervisor",
) -> Topology:
    """Validate the inputs; defaults: the first redis host is the master, the quorum a majority,
    supervisor the service manager (what the filter said before it had the option)."""
    redis_hosts = tuple(str(h) for h in redis or [])
    sentinel_hosts = tuple(str(h) for h in sentinel or [])
    if not redis_hosts:
        raise ValueError("the redis group is empty: nothing to analyse")
    master = str(master) if master else redis_hosts[0]
    if master not in redis_hosts:
        raise ValueError(f"master {master} is not in the redis group ({', '.join(redis_hosts)})")
    if quorum is None:
        quorum = len(sentinel_hosts) // 2 + 1 if sentinel_hosts else 0
    quorum, mrw = int(quorum), int(min_replicas_to_write or 0)
    if sentinel_hosts and quorum < 1:
        raise ValueError(f"quorum must be at least 1, got {quorum}")
    manager = str(service_manager or "supervisor")
    if manager not in RESTARTERS:
        # 'auto' too: the filter has no facts to resolve it (hakit.redis.service_manager has).
        raise ValueError(
            f"service_manager must be {' or '.join(RESTARTERS)}, got {manager!r} "
            "(resolve auto with the hakit.redis.service_manager filter)"
        )
    return Topology(redis_hosts, sentinel_hosts, master, quorum, bool(vip), mrw, manager)


def analyse(
    redis: list[str],
    sentinel: list[str] | None = None,
    master: str | None = None,
    quorum: int | None = None,
    vip: Any = False,
    min_replicas_to_write: int = 0,
    service_manager: str = "supervisor",
) -> list[dict[str, Any]]:
    """Each single failure of the deployment and what happens to writes (see the module docstring)."""
    topo = topology_from(redis, sentinel, master, quorum, vip, min_replicas_to_write, service_manager)
    return [evaluate(topo, failure, crashed) for failure, crashed in failures(topo)]


def truthy(value: Any) -> bool:
    """vip may come as a bool, an address, or a templated "False"."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "off", "0", "none", "null")
    return bool(value)


def failure_analysis(
    groups: dict[str, Any], params: dict[str, Any] | None = None, **kwargs: Any
) -> list[dict[str, Any]]:
    """Filter: `groups | hakit.redis.failure_analysis({'quorum': 2, 'vip': true, ...})`."""
    options = {**(params or {}), **kwargs}
    known = {"redis_group", "sentinel_group", "master", "quorum", "vip", "min_replicas_to_write", "service_manager"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise AnsibleFilterError(
            f"failure_analysis: unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    if not isinstance(groups, dict):
        raise AnsibleFilterError("failure_analysis: input must be the groups dict (e.g. `groups`)")
    redis = groups.get(options.get("redis_group") or "redis") or []
    sentinel = groups.get(options.get("sentinel_group") or "sentinel") or []
    try:
        return analyse(
            redis,
            sentinel,
            options.get("master"),
            options.get("quorum"),
            truthy(options.get("vip")),
            options.get("min_replicas_to_write") or 0,
            options.get("service_manager") or "supervisor",
        )
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"failure_analysis: {exc}") from exc


class FilterModule:
    """Topology filters of hakit.redis."""

    def filters(self) -> dict[str, Any]:
        return {"failure_analysis": failure_analysis}
