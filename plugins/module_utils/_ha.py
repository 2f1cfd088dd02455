# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decision logic of hakit.redis.ha_check (private, pure: no I/O, unit-tested).

The module gathers *probes* (plain dicts holding what each Sentinel and Redis node answered, or
why it did not) and these functions turn them into the module's return value. Keeping I/O out of
here lets the unit tests feed recorded Sentinel/INFO replies without any server.

Probe shapes:

- sentinel probe: ``address``, ``reachable``, ``error``/``error_kind`` (when not), ``monitors``
  (knows the master name), ``master`` ("host:port" from get-master-addr-by-name), ``state``
  (SENTINEL MASTER as a dict), ``replicas`` (SENTINEL REPLICAS as dicts), ``ckquorum_ok``,
  ``ckquorum_message``.
- node probe: ``address``, ``reachable``, ``error``/``error_kind``, ``replication`` (INFO
  replication as redis-py parses it), ``run_id``.
"""

from __future__ import annotations

from typing import Any

# Which option to check, per kind of endpoint, when a password is refused or missing.
_PASSWORD_OPTION = {
    "sentinel": "sentinel_password",
    "master": "redis_password",
    "replica": "redis_password",
    "redis": "redis_password",
    "VIP": "redis_password",
}


def pairs_to_dict(flat: Any) -> dict[str, Any]:
    """Turn a RESP2 flat [key, value, key, value] reply (SENTINEL MASTER/REPLICAS) into a dict."""
    if isinstance(flat, dict):
        return dict(flat)
    items = list(flat or [])
    return {str(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}


def to_int(value: Any) -> int | None:
    """Best-effort int of a Redis field; None when absent or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def join(host: Any, port: Any) -> str:
    """ "host:port" with IPv6 literals bracketed, as the module's addresses are written."""
    host = str(host)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split(address: str) -> tuple[str, int | None]:
    """ "host:port" (IPv6 bracketed) -> (host, port)."""
    host, port_text = address.rpartition(":")[::2]
    return host.strip("[]"), to_int(port_text)


def unreachable_sentence(label: str, probe: dict[str, Any]) -> str:
    """Problem sentence for an endpoint that did not answer; auth failures say what to fix."""
    address = probe["address"]
    kind = probe.get("error_kind")
    option = _PASSWORD_OPTION.get(label, "the password")
    if kind == "auth":
        return f"{label} {address}: authentication failed (check {option})"
    if kind == "noauth":
        return f"{label} {address}: requires a password (set {option})"
    if kind in ("unreachable", "timeout") or not probe.get("error"):
        return f"{label} {address} unreachable"
    return f"{label} {address}: {probe['error']}"


def flags_of(state: dict[str, Any]) -> set[str]:
    """Sentinel's comma-separated flags field as a set."""
    return {f for f in str(state.get("flags", "")).split(",") if f}


# --- Sentinels ---------------------------------------------------------------------------------


def master_votes(sentinels: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Master address -> Sentinels naming it, in the order the Sentinels were given."""
    votes: dict[str, list[str]] = {}
    for probe in sentinels:
        if probe.get("reachable") and probe.get("master"):
            votes.setdefault(probe["master"], []).append(probe["address"])
    return votes


def named_master(votes: dict[str, list[str]], answered: int) -> str | None:
    """The master the Sentinels name: the address named by more than half of the `answered` Sentinels.

    The one rule of the collection (discovery, ha_check, status): Sentinels that answered but monitor
    no master count in `answered`; unreachable ones do not. No majority (a split or a tie) gives None.
    """
    for address, voters in votes.items():
        if len(voters) * 2 > answered:
            return address
    return None


def answered(sentinels: list[dict[str, Any]]) -> int:
    """How many Sentinel probes got an answer (the denominator of named_master)."""
    return sum(1 for probe in sentinels if probe.get("reachable"))


def disagreement_problem(votes: dict[str, list[str]]) -> list[str]:
    """One sentence listing every view when Sentinels name different masters."""
    if len(votes) < 2:
        return []
    views = ", ".join(f"{address} ({', '.join(voters)})" for address, voters in votes.items())
    return [f"sentinels disagree on master: {views}"]


def sentinel_entry(probe: dict[str, Any]) -> dict[str, Any]:
    """Public view of one Sentinel (the `sentinels` return list)."""
    state = probe.get("state") or {}
    return {
        "address": probe["address"],
        "reachable": bool(probe.get("reachable")),
        "master": probe.get("master"),
        "num_other_sentinels": to_int(state.get("num-other-sentinels")),
        "ckquorum_ok": probe.get("ckquorum_ok"),
        "ckquorum_message": probe.get("ckquorum_message"),
        "error": probe.get("error"),
    }


def sentinel_problems(probe: dict[str, Any], master_name: str, expected_total: int) -> list[str]:
    """What is wrong with one Sentinel, seen on its own."""
    address = probe["address"]
    if not probe.get("reachable"):
        return [unreachable_sentence("sentinel", probe)]
    if not probe.get("monitors"):
        return [f"sentinel {address} does not monitor {master_name}"]
    problems: list[str] = []
    state = probe.get("state") or {}
    flags = flags_of(state)
    down = sorted(flags & {"s_down", "o_down"})
    if down:
        problems.append(f"sentinel {address} sees master {probe.get('master')} as down ({', '.join(down)})")
    if "failover_in_progress" in flags:
        problems.append(f"sentinel {address}: failover in progress")
    others = to_int(state.get("num-other-sentinels"))
    # Sentinels keep peers they once saw, so a smaller count means a peer never joined (wrong
    # announce address, auth, or a different master name) rather than one that is merely down.
    if others is not None and others + 1 < expected_total:
        problems.append(f"sentinel {address} knows {others} other sentinels, expected {expected_total - 1}")
    if probe.get("ckquorum_ok") is False:
        problems.append(f"sentinel {address}: CKQUORUM failed: {probe.get('ckquorum_message')}")
    return problems


def quorum_report(sentinels: list[dict[str, Any]], master: str | None) -> tuple[dict[str, Any], list[str]]:
    """Quorum numbers and the sentence when failover could not happen now.

    `reachable` counts Sentinels that answer *and* name the chosen master: a Sentinel following
    another master cannot vote in this master's failover. Failover needs `quorum` Sentinels to
    agree the master is down and a majority of all Sentinels to authorise it, so `ok` needs both.
    """
    agreeing = [p for p in sentinels if p.get("reachable") and p.get("monitors") and p.get("master") == master]
    known = [to_int((p.get("state") or {}).get("num-other-sentinels")) for p in agreeing]
    total = max([len(sentinels)] + [k + 1 for k in known if k is not None])
    configured = next((to_int((p.get("state") or {}).get("quorum")) for p in agreeing), None)
    up = len(agreeing)
    majority = total // 2 + 1
    ok = configured is not None and up >= configured and up >= majority
    problems: list[str] = []
    if configured is None:
        problems.append(f"quorum unknown: 0 of {total} sentinels up")
    elif up < configured:
        problems.append(f"quorum {configured} not reachable: {up} of {total} sentinels up")
    elif up < majority:
        problems.append(f"majority {majority} not reachable: {up} of {total} sentinels up, no failover possible")
    return {"configured": configured, "reachable": up, "total": total, "ok": ok}, problems


# --- Redis nodes -------------------------------------------------------------------------------


def replica_lines(replication: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The master's `slaveN:` lines, keyed by "ip:port" (redis-py parses them to dicts)."""
    lines: dict[str, dict[str, Any]] = {}
    for key, value in (replication or {}).items():
        if not (key.startswith("slave") and key[5:].isdigit()):
            continue
        if isinstance(value, str):
            value = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
        lines[join(value.get("ip"), value.get("port"))] = value
    return lines


def role_of(probe: dict[str, Any] | None) -> str | None:
    """'master' / 'replica' from INFO replication, None when unknown."""
    if not probe or not probe.get("reachable"):
        return None
    role = (probe.get("replication") or {}).get("role")
    return "replica" if role == "slave" else role


def master_entry(address: str | None, probe: dict[str, Any] | None) -> dict[str, Any]:
    """Public view of the master (the `master` return dict)."""
    host, port = split(address) if address else (None, None)
    replication = (probe or {}).get("replication") or {}
    return {
        "host": host,
        "port": port,
        "role_confirmed": role_of(probe) == "master",
        "run_id": (probe or {}).get("run_id"),
        "connected_replicas": to_int(replication.get("connected_slaves")) if role_of(probe) else None,
    }


def master_problems(address: str | None, probe: dict[str, Any] | None, expected: str | None, source: str) -> list[str]:
    """What is wrong with the master itself (reachability, role, the one the operator expects)."""
    if address is None:
        return [f"no master known: {source}"]
    problems: list[str] = []
    if not probe or not probe.get("reachable"):
        problems.append(unreachable_sentence("master", probe or {"address": address}))
    elif role_of(probe) != "master":
        replication = probe.get("replication") or {}
        upstream = join(replication.get("master_host"), replication.get("master_port"))
        problems.append(f"master {address} answers as replica of {upstream}")
    if expected and not address_matches(address, expected):
        problems.append(f"master is {address}, expected {expected}")
    return problems


def address_matches(address: str, expected: str) -> bool:
    """`expected` may be "host" or "host:port"; compare only what it gives."""
    if expected == address:
        return True
    return expected.strip("[]") == split(address)[0]


def replica_candidates(
    master: str | None, master_probe: dict[str, Any] | None, sentinels: list[dict[str, Any]], extra: list[str]
) -> list[str]:
    """Every node that should be a replica: what the master lists, what the Sentinels remember
    (they keep down replicas, the master forgets them) and the nodes the caller named."""
    seen: list[str] = []
    sources: list[str] = list(replica_lines(((master_probe or {}).get("replication")) or {}))
    for probe in sentinels:
        if probe.get("reachable") and probe.get("master") == master:
            sources += [join(r.get("ip"), r.get("port")) for r in probe.get("replicas") or []]
    sources += extra
    for address in sources:
        if address != master and address not in seen:
            seen.append(address)
    return seen


def replica_report(
    address: str,
    probe: dict[str, Any] | None,
    master: str | None,
    master_probe: dict[str, Any] | None,
    limits: dict[str, Any],
) -> tuple[dict[str, Any], list[str]]:
    """One replica's public entry and its problems. `limits`: max_lag_bytes, max_lag_seconds."""
    host, port = split(address)
    entry: dict[str, Any] = {
        "host": host,
        "port": port,
        "link_status": "unreachable",
        "offset_lag_bytes": None,
        "last_io_seconds": None,
    }
    master_repl = ((master_probe or {}).get("replication")) or {}
    master_offset = to_int(master_repl.get("master_repl_offset")) if role_of(master_probe) == "master" else None
    line = replica_lines(master_repl).get(address)
    if not probe or not probe.get("reachable"):
        # The master's view still tells how far behind the replica was when it last acknowledged.
        if master_offset is not None and line:
            entry["offset_lag_bytes"] = max(0, master_offset - (to_int(line.get("offset")) or 0))
        return entry, [unreachable_sentence("replica", probe or {"address": address})]
    replication = probe.get("replication") or {}
    if replication.get("role") != "slave":
        entry["link_status"] = "down"
        return entry, [f"replica {address} answers as master"]
    upstream = join(replication.get("master_host"), replication.get("master_port"))
    up = replication.get("master_link_status") == "up"
    entry["link_status"] = "up" if up else "down"
    if up:
        entry["last_io_seconds"] = to_int(replication.get("master_last_io_seconds_ago"))
    own_offset = to_int(replication.get("slave_repl_offset"))
    if master_offset is not None and own_offset is not None:
        # INFO is read from the master first, so a replica may already be ahead: clamp at 0.
        entry["offset_lag_bytes"] = max(0, master_offset - own_offset)
    problems: list[str] = []
    if master and upstream != master:
        problems.append(f"replica {address} replicates from {upstream}, not from master {master}")
    if not up:
        problems.append(f"replica {address} link down")
        return entry, problems
    problems += lag_problems(address, entry, limits)
    return entry, problems


def lag_problems(address: str, entry: dict[str, Any], limits: dict[str, Any]) -> list[str]:
    """Lag beyond the operator's limits (each limit only when set)."""
    problems: list[str] = []
    max_bytes, max_seconds = limits.get("max_lag_bytes"), limits.get("max_lag_seconds")
    lag, last_io = entry.get("offset_lag_bytes"), entry.get("last_io_seconds")
    if max_bytes is not None and lag is not None and lag > max_bytes:
        problems.append(f"replica {address} lags {lag} bytes behind the master (max {max_bytes})")
    if max_seconds is not None and last_io is not None and last_io > max_seconds:
        problems.append(f"replica {address} last heard from the master {last_io} s ago (max {max_seconds})")
    return problems


def min_replicas_problem(
    replicas: list[dict[str, Any]], replica_problems: dict[str, list[str]], min_replicas: int
) -> list[str]:
    """Fewer healthy replicas (link up, within lag limits) than the operator requires."""
    healthy = sum(
        1 for r in replicas if r["link_status"] == "up" and not replica_problems.get(join(r["host"], r["port"]))
    )
    if healthy >= min_replicas:
        return []
    return [f"{healthy} healthy replicas, min_replicas is {min_replicas}"]


# --- Standalone nodes (no Sentinel, topology 1) -------------------------------------------------


def choose_standalone_master(nodes: list[dict[str, Any]]) -> tuple[str | None, list[str]]:
    """Without Sentinels the master is the node answering role:master; several is split brain."""
    masters = [p for p in nodes if role_of(p) == "master"]
    if len(masters) > 1:
        # Prefer the one replicas follow: it is the one that kept serving.
        masters.sort(key=lambda p: -(to_int((p.get("replication") or {}).get("connected_slaves")) or 0))
        names = ", ".join(p["address"] for p in masters)
        return masters[0]["address"], [f"several nodes answer as master: {names}"]
    if masters:
        return masters[0]["address"], []
    return None, []


# --- VIP ---------------------------------------------------------------------------------------


def vip_report(address: str, probe: dict[str, Any], master_run_id: str | None) -> tuple[dict[str, Any], list[str]]:
    """The VIP must lead to the master itself: role master *and* the master's run_id (another
    node that also believes it is master, e.g. an isolated old master, would fail the second)."""
    role = role_of(probe) if probe.get("reachable") else "unreachable"
    entry = {"address": address, "holder_role": role, "ok": False}
    if role == "unreachable":
        return entry, [unreachable_sentence("VIP", {**probe, "address": address})]
    if role != "master":
        return entry, [f"VIP {address} answers as {role}"]
    if master_run_id is None:
        return entry, [f"VIP {address} answers as master, but the master's run_id is unknown"]
    if probe.get("run_id") != master_run_id:
        return entry, [f"VIP {address} answers as a different master (run_id {probe.get('run_id')})"]
    entry["ok"] = True
    return entry, []
