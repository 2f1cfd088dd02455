#!/usr/bin/python
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: switchover
short_description: Move the Redis master to a replica through the Sentinels, with no acknowledged write lost
version_added: 0.2.0
description:
  - A planned failover (switchover). It refuses, before changing anything, when the Sentinels name no master
    by majority or cannot reach their quorum (C(SENTINEL CKQUORUM)), or when the target is no replica of the
    master, is flagged down, has its link down, has C(replica-priority 0), or lags more than O(max_lag_bytes).
    A failover some Sentinel still runs (for example the previous switchover's) is waited for, up to 15
    seconds, before anything is paused; a longer one is refused.
  - "Then, on the master, C(CLIENT PAUSE WRITE), which holds every write while clients stay connected. It
    waits until the target has every byte the master has (so every acknowledged write is on the target),
    asks a Sentinel for C(SENTINEL FAILOVER), and waits until the target is master and a majority of the
    Sentinels name it."
  - It then demotes the old master at once (C(REPLICAOF) the new master, C(CONFIG REWRITE)). Sentinel would
    only do that some 8 seconds later, and in that window the old master would take writes that are lost when
    it resyncs. Last, it releases the pause. The writes held by the pause are refused with C(READONLY) and
    never acknowledged, so a client retries them on the new master.
  - The target's catch-up is read on the target itself (C(slave_repl_offset) and C(master_replid) against the
    master's), not from the master's view, which the replica's acknowledgement updates only once a second.
    That wait is bounded by half of the Sentinels' C(down-after-milliseconds) (and 5 seconds), because the
    pause also holds the Sentinels' own connection to the master (their hello C(PUBLISH) is paused, and their
    C(PING)s wait behind it). A longer one would make them take the master for down and fail it over
    themselves. A target that has not caught up by then stops the switchover with the pause released.
  - With several replicas, the others get C(replica-priority 0) until the move is done, so the Sentinels
    promote the target and no other. Their priorities are restored afterwards, also on failure.
  - A Sentinel reads a replica's C(INFO) every 10 seconds, so right after a move it may not list the new
    replica yet, or still see its link down, while the master lists it online. The module waits up to 15
    seconds for the Sentinel to catch up before it refuses for that reason.
  - Before it pauses anything it also waits, up to 15 seconds, until every Sentinel that answers has read the
    target in a fresh C(INFO) as a replica of the master (C(SENTINEL REPLICAS) fields C(role-reported),
    C(master-host), C(master-link-status), C(slave-priority), C(info-refresh), C(last-ok-ping-reply), and
    no C(s_down), C(o_down) or C(disconnected) flag), and refuses when one does not.
    Right after a switchover a Sentinel's last C(INFO) of the demoted master was read before its demotion and
    still says role master for up to 10 seconds. Promoting that node again in that window lets such a
    Sentinel, which does not have the new configuration yet, turn it back into a replica
    (C(+convert-to-slave)), and the failover then hangs until C(failover-timeout).
    So a switchover started right after another one waits up to 10 seconds, with writes flowing, before it
    pauses them.
  - The switch is idempotent. When the target (or, without O(target), any master the Sentinels agree on) is
    already the master, nothing is done.
author: hakit.redis contributors (@hakit)
extends_documentation_fragment:
  - hakit.redis.tls
options:
  sentinels:
    description:
      - Every Sentinel as V(host:port) (V(host) alone means port 26379), the addresses they announce. A move
        needs a strict majority of all of them to name the master.
    type: list
    elements: str
    required: true
  master_name:
    description: Name under which the Sentinels monitor the master.
    type: str
    default: mymaster
  redis_username:
    description: ACL user on the Redis nodes (omit for the C(default) user). It needs the rights listed in the notes.
    type: str
  redis_password:
    description: Password of O(redis_username), or of the C(default) user. Omit when Redis runs without authentication.
    type: str
  sentinel_username:
    description: ACL user on the Sentinels (omit for the C(default) user, which the roles make the Sentinels' admin).
    type: str
  sentinel_password:
    description: Password of O(sentinel_username), or of the Sentinels' C(default) user.
    type: str
  timeout:
    description: Seconds to wait for each connection and each reply.
    type: float
    default: 2
  target:
    description:
      - The replica to promote, as V(host:port) the way the master lists it (its C(replica-announce-ip)).
      - Omit to let the module pick the replica the Sentinels would prefer (lowest priority number, then
        the most data).
    type: str
  max_lag_bytes:
    description: Refuse when the target is further behind the master than this, before pausing anything.
    type: int
    default: 1048576
  pause_ms:
    description:
      - Longest time writes are held on the old master. The module releases the pause as soon as the old
        master is a replica; if the move takes longer, the pause ends by itself and the module fails.
    type: int
    default: 10000
notes:
  - The Redis user (O(redis_username), or the default user) needs C(INFO), C(ROLE), C(CLIENT PAUSE),
    C(CLIENT UNPAUSE), C(CONFIG SET), C(CONFIG REWRITE) and C(REPLICAOF), as the admin user the roles create has.
    The Sentinel user needs C(SENTINEL FAILOVER) besides the read-only questions.
  - Run it with C(run_once), on a host that reaches every Sentinel and Redis node. The playbook
    C(hakit.redis.switchover) does that, then waits until the VIP and every replica follow.
  - Needs only the Python standard library on the host that runs it.
requirements: []
attributes:
  check_mode:
    support: full
    description: Runs every check and reports the move it would make; changes nothing.
  diff_mode:
    support: none
    description: A switchover has no file to diff; RV(old_master) and RV(new_master) say what moved.
"""

EXAMPLES = r"""
- name: Move the master to 10.0.0.12
  hakit.redis.switchover:
    sentinels: [10.0.0.11:26379, 10.0.0.12:26379, 10.0.0.13:26379]
    sentinel_password: "{{ sentinel_password }}"
    redis_password: "{{ redis_password }}"
    target: 10.0.0.12:6379
  run_once: true
"""

RETURN = r"""
old_master:
  description: The master before the run.
  returned: always
  type: str
new_master:
  description: The master after the run (the same as RV(old_master) when nothing was done).
  returned: always
  type: str
write_pause_seconds:
  description: How long writes were held on the old master (0 when nothing was done).
  returned: always
  type: float
promoted_after_seconds:
  description: From the pause to the moment the target answered as master.
  returned: when changed and not in check mode
  type: float
"""

import contextlib
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hakit.redis.plugins.module_utils._client import TLS_ARGS, resp_tls_kwargs
from ansible_collections.hakit.redis.plugins.module_utils._ha import join, named_master, split
from ansible_collections.hakit.redis.plugins.module_utils._resp import RespError, query
from ansible_collections.hakit.redis.plugins.module_utils._switchover import (
    Replica,
    catch_up_budget,
    caught_up,
    choose,
    down_after_ms,
    failover_running,
    master_view,
    merge,
    parse_info,
    parse_sentinel_replicas,
    sentinel_behind,
    sentinels_unready,
)

# A Sentinel reads each replica's INFO every 10 s: how long to wait for it to catch up with the
# master's own view (right after a switchover, the old master is a replica it has not seen yet).
SENTINEL_SETTLE_S = 15.0


class Refused(Exception):
    """A reason not to switch over (or to stop halfway), worded for the operator."""


class Stopped(Exception):
    """A switchover that began (writes paused) and could not finish."""


class Cluster:
    """Authenticated one-shot queries to the Sentinels and the Redis nodes."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        # One TLS context for every query of the run (O(tls) off: no argument at all).
        self.tls = resp_tls_kwargs(params)

    def _query(self, side: str, default_port: int, address: str, commands: tuple[list[str], ...]) -> list[Any]:
        host, port = split(address)
        return query(
            host,
            port or default_port,
            list(commands),
            password=self.params[f"{side}_password"],
            username=self.params[f"{side}_username"],
            timeout=self.params["timeout"],
            **self.tls,
        )

    def sentinel(self, address: str, *commands: list[str]) -> list[Any]:
        return self._query("sentinel", 26379, address, commands)

    def redis(self, address: str, *commands: list[str]) -> list[Any]:
        return self._query("redis", 6379, address, commands)


def sentinel_views(cluster: Cluster, sentinels: list[str], name: str) -> dict[str, str | None]:
    """Sentinel address -> the master it names (None: it does not monitor `name`); unreachable ones left out."""
    views: dict[str, str | None] = {}
    for address in sentinels:
        try:
            reply = cluster.sentinel(address, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", name])[0]
        except (OSError, RespError):
            continue
        views[address] = join(reply[0], reply[1]) if reply else None
    return views


def agreed_master(views: dict[str, str | None], total: int) -> str | None:
    """The master a strict majority of ALL configured Sentinels names (a move needs every vote it can get)."""
    votes: dict[str, list[str]] = {}
    for sentinel, master in views.items():
        if master:
            votes.setdefault(master, []).append(sentinel)
    return named_master(votes, total)


def ckquorum(cluster: Cluster, sentinels: list[str], name: str) -> tuple[str | None, str]:
    """(a Sentinel that confirms the quorum, its answer) or (None, the last refusal)."""
    last = "no Sentinel answered"
    for address in sentinels:
        try:
            return address, str(cluster.sentinel(address, ["SENTINEL", "CKQUORUM", name])[0])
        except (OSError, RespError) as exc:
            last = f"{address}: {exc}"
    return None, last


def failovers_running(cluster: Cluster, sentinels: list[str], name: str) -> list[str]:
    """The Sentinels that still run a failover of `name` (unreachable ones left out)."""
    running = []
    for address in sentinels:
        try:
            if failover_running(cluster.sentinel(address, ["SENTINEL", "MASTER", name])[0]):
                running.append(address)
        except (OSError, RespError):
            continue
    return running


def wait_no_failover(cluster: Cluster, sentinels: list[str], name: str, timeout: float = SENTINEL_SETTLE_S) -> None:
    """Before any change: wait for a failover still running (e.g. the previous switchover's, whose
    Sentinel reconfigures the old master after the new one answers) to end, or refuse."""
    deadline = time.monotonic() + timeout
    while running := failovers_running(cluster, sentinels, name):
        if time.monotonic() > deadline:
            raise Refused(
                f"a failover of {name} is still in progress on Sentinel(s) {', '.join(running)} after {timeout:.0f} s; "
                "wait until hakit.redis.status is healthy, then run the switchover again"
            )
        time.sleep(0.5)


def replica_views(cluster: Cluster, sentinels: list[str], name: str) -> dict[str, list[Replica]]:
    """Sentinel address -> the replicas it lists (SENTINEL REPLICAS); unreachable ones left out."""
    views: dict[str, list[Replica]] = {}
    for address in sentinels:
        try:
            views[address] = parse_sentinel_replicas(cluster.sentinel(address, ["SENTINEL", "REPLICAS", name])[0])
        except (OSError, RespError):
            continue
    return views


def wait_sentinels_ready(
    cluster: Cluster, params: dict[str, Any], master: str, target: str, timeout: float = SENTINEL_SETTLE_S
) -> None:
    """Before any change: wait until every Sentinel that answers has read, in a fresh INFO, the target
    as a replica of `master` with its link up (sentinel_unready says why that matters), or refuse."""
    deadline = time.monotonic() + timeout
    sentinels, name = params["sentinels"], params["master_name"]
    while unready := sentinels_unready(replica_views(cluster, sentinels, name), target, master):
        if time.monotonic() > deadline:
            reasons = "; ".join(f"Sentinel {address} {why}" for address, why in sorted(unready.items()))
            raise Refused(
                f"the Sentinels do not all see {target} as a good replica of {master} after {timeout:.0f} s "
                f"({reasons}); a promotion now could be undone by such a Sentinel. "
                "Check with hakit.redis.status, then run again"
            )
        time.sleep(0.5)


def gather(cluster: Cluster, params: dict[str, Any]) -> tuple[str, Replica | None, list[Replica], str]:
    """(master, chosen replica or None when the target is already master, all replicas, sentinel)."""
    sentinels, name = params["sentinels"], params["master_name"]
    views = sentinel_views(cluster, sentinels, name)
    master = agreed_master(views, len(sentinels))
    if master is None:
        raise Refused(
            f"the Sentinels name no master by majority of {len(sentinels)} ({views or 'none answered'}); "
            "repair the Sentinels first (hakit.redis.status shows what is wrong)"
        )
    if params["target"] and params["target"] == master:
        return master, None, [], ""
    sentinel, answer = ckquorum(cluster, sentinels, name)
    if sentinel is None or not answer.startswith("OK"):
        raise Refused(f"the Sentinels cannot reach their quorum ({answer}): a failover could not be authorised")
    wait_no_failover(cluster, sentinels, name)
    deadline = time.monotonic() + SENTINEL_SETTLE_S
    while True:
        try:
            info = parse_info(cluster.redis(master, ["INFO", "replication"])[0])
            replicas = parse_sentinel_replicas(cluster.sentinel(sentinel, ["SENTINEL", "REPLICAS", name])[0])
        except (OSError, RespError) as exc:
            raise Refused(f"could not read the replication state: {exc}") from exc
        if info.get("role") != "master":
            raise Refused(f"{master}, named by the Sentinels, answers role {info.get('role')}: not a stable master")
        master_offset, online = master_view(info)
        merge(replicas, online)
        target, why = choose(replicas, params["target"], master_offset, params["max_lag_bytes"])
        if target is not None:
            wait_sentinels_ready(cluster, params, master, target.address)
            return master, target, replicas, sentinel
        if time.monotonic() > deadline or not sentinel_behind(replicas, online, params["target"]):
            raise Refused(str(why))
        time.sleep(0.5)


def wait(what: str, check: Any, timeout: float, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, RespError) as exc:
            last = exc
        time.sleep(interval)
    raise Refused(f"timed out waiting for {what}" + (f" (last error: {last})" if last else ""))


def pin_target(cluster: Cluster, params: dict[str, Any], sentinel: str, others: list[Replica]) -> dict[str, str]:
    """Priority 0 on every other replica until the Sentinels see it; their old values to restore."""
    saved: dict[str, str] = {}
    for replica in others:
        saved[replica.address] = str(cluster.redis(replica.address, ["CONFIG", "GET", "replica-priority"])[0][1])
        cluster.redis(replica.address, ["CONFIG", "SET", "replica-priority", "0"])

    def sentinels_see_it() -> bool:
        reply = cluster.sentinel(sentinel, ["SENTINEL", "REPLICAS", params["master_name"]])[0]
        seen = {r.address: r.priority for r in parse_sentinel_replicas(reply)}
        return all(seen.get(address) == 0 for address in saved)

    # Sentinel reads a replica's INFO every 10 s.
    wait("the Sentinels to see replica-priority 0 on the other replicas", sentinels_see_it, 15, 0.5)
    return saved


def catch_up_seconds(cluster: Cluster, params: dict[str, Any], sentinel: str) -> float:
    """Before any change: how long the paused master may wait for the target (catch_up_budget)."""
    try:
        reply = cluster.sentinel(sentinel, ["SENTINEL", "MASTER", params["master_name"]])[0]
    except (OSError, RespError) as exc:
        raise Refused(f"could not read down-after-milliseconds from Sentinel {sentinel}: {exc}") from exc
    return catch_up_budget(params["pause_ms"], down_after_ms(reply))


def switch(
    cluster: Cluster, params: dict[str, Any], master: str, target: Replica, sentinel: str, catch_up: float
) -> dict[str, Any]:
    """Pause, catch up, fail over, demote, release. Raises Refused with what state it left."""
    pause_ms = params["pause_ms"]
    cluster.redis(master, ["CLIENT", "PAUSE", str(pause_ms), "WRITE"])
    paused_at = time.monotonic()
    released = False
    try:

        def target_has_every_write() -> bool:
            # The master first: the target must hold at least what the master had by then.
            master_info = parse_info(cluster.redis(master, ["INFO", "replication"])[0])
            return caught_up(master_info, parse_info(cluster.redis(target.address, ["INFO", "replication"])[0]))

        wait(
            f"{target.address} to receive every write of the master (within {catch_up:.1f} s, half of the "
            "Sentinels' down-after-milliseconds at most, so they do not take the paused master for down)",
            target_has_every_write,
            catch_up,
        )
        cluster.sentinel(sentinel, ["SENTINEL", "FAILOVER", params["master_name"]])
        wait(
            f"{target.address} to answer as master",
            lambda: cluster.redis(target.address, ["ROLE"])[0][0] == "master",
            pause_ms / 1000,
        )
        promoted = time.monotonic() - paused_at

        def majority_names_target() -> bool:
            views = sentinel_views(cluster, params["sentinels"], params["master_name"])
            return agreed_master(views, len(params["sentinels"])) == target.address

        remaining = pause_ms / 1000 - (time.monotonic() - paused_at)
        wait(f"a majority of the Sentinels to name {target.address}", majority_names_target, max(remaining, 0.1))
        host, port = split(target.address)
        cluster.redis(master, ["REPLICAOF", host, str(port)], ["CONFIG", "REWRITE"])
        cluster.redis(master, ["CLIENT", "UNPAUSE"])
        released = True
        paused = time.monotonic() - paused_at
        return {"promoted_after_seconds": round(promoted, 3), "write_pause_seconds": round(paused, 3)}
    finally:
        if not released:
            with contextlib.suppress(OSError, RespError):
                cluster.redis(master, ["CLIENT", "UNPAUSE"])


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    cluster = Cluster(params)
    master, target, replicas, sentinel = gather(cluster, params)
    result: dict[str, Any] = {"changed": False, "old_master": master, "new_master": master, "write_pause_seconds": 0.0}
    if target is None:
        return result
    result.update(changed=True, new_master=target.address)
    if module.check_mode:
        return result
    others = [r for r in replicas if r.address != target.address]
    catch_up = catch_up_seconds(cluster, params, sentinel)
    saved = pin_target(cluster, params, sentinel, others) if others else {}
    try:
        result.update(switch(cluster, params, master, target, sentinel, catch_up))
    except (Refused, OSError, RespError) as exc:
        raise Stopped(
            f"the switchover from {master} to {target.address} stopped after writes were paused: {exc}. "
            "The pause is released. If SENTINEL FAILOVER was sent the Sentinels may still finish the move: "
            "check with hakit.redis.status before trying again"
        ) from exc
    finally:
        for address, priority in saved.items():
            try:
                cluster.redis(address, ["CONFIG", "SET", "replica-priority", priority], ["CONFIG", "REWRITE"])
            except (OSError, RespError) as exc:
                module.warn(f"could not restore replica-priority {priority} on {address}: {exc}")
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "sentinels": {"type": "list", "elements": "str", "required": True},
            "master_name": {"type": "str", "default": "mymaster"},
            "redis_username": {"type": "str"},
            "redis_password": {"type": "str", "no_log": True},
            "sentinel_username": {"type": "str"},
            "sentinel_password": {"type": "str", "no_log": True},
            "target": {"type": "str"},
            "max_lag_bytes": {"type": "int", "default": 1048576},
            "pause_ms": {"type": "int", "default": 10000},
            "timeout": {"type": "float", "default": 2.0},
            **TLS_ARGS,
        },
        supports_check_mode=True,
    )
    if not module.params["sentinels"]:
        module.fail_json(msg="sentinels is empty: a switchover needs the Sentinels (topologies 2-4)")
    try:
        module.exit_json(**run(module))
    except Refused as exc:
        module.fail_json(msg=f"Switchover refused: {exc}. Nothing was changed.")
    except Stopped as exc:
        module.fail_json(msg=f"Switchover stopped: {exc}")
    except (OSError, RespError) as exc:
        module.fail_json(msg=f"Switchover refused: could not read the cluster's state ({exc}). Nothing was changed.")


if __name__ == "__main__":
    main()
