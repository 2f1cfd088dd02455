#!/usr/bin/python
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ha_check
short_description: Check Sentinel quorum, replication and VIP of a Redis HA deployment
version_added: 0.1.0
description:
  - Asks every Sentinel which master it follows, whether it can reach quorum (C(SENTINEL CKQUORUM)) and which
    replicas it knows, then asks the master and each replica how replication is going, and optionally checks
    that a virtual IP leads to the master.
  - Read-only. Never changes anything, so it always returns C(changed=false) and behaves the same in check mode.
  - Everything found wrong is listed in RV(problems) as one plain sentence per finding; RV(healthy) is true only
    when that list is empty. A Sentinel down while quorum still holds is a problem (redundancy is lost) but
    RV(quorum.ok) stays true, so callers can tell "needs attention" from "cannot fail over".
  - Without Sentinels (O(sentinels) empty), the nodes in O(redis) are checked instead; the master is the node
    answering C(role:master), several such nodes are reported as split brain.
author: hakit.redis contributors (@hakit)
extends_documentation_fragment:
  - hakit.redis.connection
  - hakit.redis.tls
options:
  redis:
    description:
      - Redis nodes as V(host:port) strings (V(host) alone means port 6379).
      - Required when O(sentinels) is empty. With Sentinels, these nodes are checked as replicas in addition to
        those the master and the Sentinels list, so that a node which never joined is noticed.
    type: list
    elements: str
    default: []
  min_replicas:
    description:
      - Fewest healthy replicas (link up and within the lag limits) for the deployment to count as healthy.
    type: int
    default: 1
  max_lag_bytes:
    description:
      - Largest acceptable replication offset lag in bytes (master offset minus the replica's offset).
    type: int
  max_lag_seconds:
    description:
      - Largest acceptable time since the replica last heard from its master (C(master_last_io_seconds_ago)).
      - An idle master pings its replicas every C(repl-ping-replica-period) seconds (10 by default), so a
        value below that period reports idle links as lagging.
    type: int
  expected_master:
    description:
      - The master the operator expects, as V(host) or V(host:port). A different master is a problem.
    type: str
  vip:
    description:
      - Virtual IP address to verify on the master's Redis port. Through it C(ROLE) must answer master and
        C(INFO) must show the master's C(run_id), so an old master that still believes it is master but is
        not the one the Sentinels name does not pass.
    type: str
  fail_on_unhealthy:
    description:
      - Fail the task when RV(healthy) is false. The result keys are returned in both cases.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode changes nothing in its behaviour.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
notes:
  - Addresses are compared as text. Give O(sentinels), O(redis) and O(expected_master) as the announced
    addresses (C(announce-ip), C(replica-announce-ip)), since those are what Sentinel and the master report.
seealso:
  - name: Redis Sentinel documentation
    description: Sentinel commands used here (get-master-addr-by-name, ckquorum, replicas).
    link: https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/
  - name: INFO replication
    description: Meaning of master_link_status, master_last_io_seconds_ago and the offsets.
    link: https://redis.io/docs/latest/commands/info/
  - module: community.general.redis_info
    description: Raw INFO of one Redis node.
"""

EXAMPLES = r"""
- name: Check the Sentinel deployment, failing the play when anything needs attention
  hakit.redis.ha_check:
    sentinels:
      - 10.0.0.1:26379
      - 10.0.0.2:26379
      - 10.0.0.3:26379
    redis_password: "{{ redis_password }}"
    min_replicas: 1
    max_lag_bytes: 1048576
    max_lag_seconds: 15
    vip: 10.0.0.100

- name: Record health without failing, to decide later
  hakit.redis.ha_check:
    sentinels: "{{ groups['sentinel'] | map('extract', hostvars, 'redis_announce_ip') | map('string') | list }}"
    redis_password: "{{ redis_password }}"
    fail_on_unhealthy: false
  register: health

- name: Single node without Sentinel (topology 1)
  hakit.redis.ha_check:
    sentinels: []
    redis:
      - 127.0.0.1:6379
    redis_password: "{{ redis_password }}"
    min_replicas: 0
"""

RETURN = r"""
healthy:
  description: True when RV(problems) is empty.
  returned: always
  type: bool
  sample: false
master:
  description: The master the Sentinels name (or, without Sentinels, the node answering as master).
  returned: always
  type: dict
  contains:
    host:
      description: Master address; null when no master is known.
      type: str
      sample: 10.0.0.1
    port:
      description: Master port.
      type: int
      sample: 6379
    role_confirmed:
      description: The master itself answers C(role:master).
      type: bool
    run_id:
      description: The master's C(run_id) (changes with each restart).
      type: str
    connected_replicas:
      description: C(connected_slaves) as the master reports it.
      type: int
replicas:
  description: Each replica the master, the Sentinels or O(redis) name.
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: Replica address.
      type: str
    port:
      description: Replica port.
      type: int
    link_status:
      description: C(up) or C(down) as the replica reports its master link, C(unreachable) when it did not answer.
      type: str
      sample: up
    offset_lag_bytes:
      description: Master replication offset minus the replica's; null when unknown.
      type: int
      sample: 0
    last_io_seconds:
      description: Seconds since the replica last heard from the master, when the link is up.
      type: int
      sample: 1
sentinels:
  description: What each Sentinel answered.
  returned: always
  type: list
  elements: dict
  contains:
    address:
      description: The Sentinel as given in O(sentinels).
      type: str
    reachable:
      description: The Sentinel answered.
      type: bool
    master:
      description: Its view of the master as V(host:port), null when it has none.
      type: str
    num_other_sentinels:
      description: Other Sentinels it knows for this master.
      type: int
    ckquorum_ok:
      description: Result of C(SENTINEL CKQUORUM); null when not asked.
      type: bool
    ckquorum_message:
      description: Text of the C(CKQUORUM) reply.
      type: str
    error:
      description: Why it could not be asked, null otherwise.
      type: str
quorum:
  description:
    - Quorum as configured, Sentinels reachable that follow the master, and Sentinels in total.
    - C(ok) means a failover could be authorised now (reachable >= quorum and >= a majority of the total).
    - Without Sentinels all numbers are 0 and C(ok) is true.
  returned: always
  type: dict
  sample: {configured: 2, reachable: 3, total: 3, ok: true}
  contains:
    configured:
      description: The quorum the Sentinels are configured with; null when no Sentinel answered.
      type: int
    reachable:
      description: Sentinels that answered and name the same master.
      type: int
    total:
      description: Sentinels in the deployment (those given, or more if a Sentinel knows more peers).
      type: int
    ok:
      description: A failover could be authorised now.
      type: bool
vip:
  description: The VIP check, null when O(vip) is not set.
  returned: always
  type: dict
  sample: {address: 10.0.0.100, holder_role: master, ok: true}
  contains:
    address:
      description: The VIP as given in O(vip).
      type: str
    holder_role:
      description: C(master), C(replica) or C(unreachable), as answered through the VIP.
      type: str
    ok:
      description: The VIP leads to the master itself (role master and the same C(run_id)).
      type: bool
problems:
  description: One sentence per finding, empty when healthy.
  returned: always
  type: list
  elements: str
  sample:
    - sentinel 10.0.0.3:26379 unreachable
    - replica 10.0.0.2:6379 link down
    - "quorum 2 not reachable: 1 of 3 sentinels up"
    - VIP 10.0.0.100 answers as replica
"""

import contextlib
from collections.abc import Callable
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.hakit.redis.plugins.module_utils import _ha
from ansible_collections.hakit.redis.plugins.module_utils._client import (
    HAS_REDIS,
    REDIS_IMPORT_ERROR,
    TLS_ARGS,
    connect,
    describe_error,
    error_kind,
    join_hostport,
    split_hostport,
    tls_kwargs,
)

SENTINEL_PORT = 26379
REDIS_PORT = 6379

Connector = Callable[..., Any]


def argument_spec() -> dict[str, Any]:
    """Options, as documented above."""
    return {
        "sentinels": {"type": "list", "elements": "str", "required": True},
        "master_name": {"type": "str", "default": "mymaster"},
        "redis_username": {"type": "str"},
        "redis_password": {"type": "str", "no_log": True},
        "sentinel_username": {"type": "str"},
        "sentinel_password": {"type": "str", "no_log": True},
        "redis": {"type": "list", "elements": "str", "default": []},
        "min_replicas": {"type": "int", "default": 1},
        "max_lag_bytes": {"type": "int"},
        "max_lag_seconds": {"type": "int"},
        "expected_master": {"type": "str"},
        "vip": {"type": "str"},
        "timeout": {"type": "float", "default": 2.0},
        "fail_on_unhealthy": {"type": "bool", "default": True},
        **TLS_ARGS,
    }


def close(client: Any) -> None:
    """Drop the client's connections now rather than at garbage collection."""
    closer = getattr(client, "close", None)
    if callable(closer):
        # Best effort: the answers are already in.
        with contextlib.suppress(Exception):
            closer()


def failed_probe(address: str, host: str, port: int, exc: Exception) -> dict[str, Any]:
    """A probe for an endpoint that did not answer, with a sentence instead of a traceback."""
    return {
        "address": address,
        "reachable": False,
        "error": describe_error(exc, host, port),
        "error_kind": error_kind(exc),
    }


def probe_sentinel(connector: Connector, address: str, params: dict[str, Any]) -> dict[str, Any]:
    """Everything one Sentinel says about the master name. Raw SENTINEL replies are parsed by _ha,
    so behaviour does not depend on redis-py's version-specific response callbacks."""
    host, port = split_hostport(address, SENTINEL_PORT)
    name = params["master_name"]
    client = connector(
        host,
        port,
        password=params["sentinel_password"],
        timeout=params["timeout"],
        username=params.get("sentinel_username"),
        **tls_kwargs(params),
    )
    probe: dict[str, Any] = {"address": address, "reachable": True, "error": None, "monitors": False}
    try:
        try:
            probe["state"] = _ha.pairs_to_dict(client.execute_command("SENTINEL", "MASTER", name))
        except Exception as exc:  # noqa: BLE001 - every failure is a finding, reported as a sentence
            if error_kind(exc) == "response" and "no such master" in str(exc).lower():
                return probe
            return failed_probe(address, host, port, exc)
        probe["monitors"] = True
        addr = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
        probe["master"] = _ha.join(addr[0], addr[1]) if addr else None
        probe["replicas"] = [_ha.pairs_to_dict(r) for r in client.execute_command("SENTINEL", "REPLICAS", name) or []]
        probe.update(ckquorum(client, name))
    except Exception as exc:  # noqa: BLE001 - e.g. the Sentinel went away between two commands
        return failed_probe(address, host, port, exc)
    finally:
        close(client)
    return probe


def ckquorum(client: Any, name: str) -> dict[str, Any]:
    """CKQUORUM answers OK or raises NOQUORUM; both are results, not errors."""
    try:
        reply = client.execute_command("SENTINEL", "CKQUORUM", name)
    except Exception as exc:
        if error_kind(exc) != "response":
            raise
        return {"ckquorum_ok": False, "ckquorum_message": str(exc)}
    text = reply.decode() if isinstance(reply, bytes) else str(reply)
    return {"ckquorum_ok": text.startswith("OK"), "ckquorum_message": text}


def probe_node(
    connector: Connector, address: str, params: dict[str, Any], default_port: int = REDIS_PORT
) -> dict[str, Any]:
    """INFO replication and run_id of one Redis node (master, replica or the VIP)."""
    host, port = split_hostport(address, default_port)
    client = connector(
        host,
        port,
        password=params["redis_password"],
        timeout=params["timeout"],
        username=params.get("redis_username"),
        **tls_kwargs(params),
    )
    try:
        replication = client.info("replication")
        run_id = client.info("server").get("run_id")
    except Exception as exc:  # noqa: BLE001 - every failure is a finding, reported as a sentence
        return failed_probe(address, host, port, exc)
    finally:
        close(client)
    return {"address": address, "reachable": True, "error": None, "replication": replication, "run_id": run_id}


def normalise(addresses: list[str], default_port: int) -> list[str]:
    """User addresses as "host:port", the form Sentinel and INFO are compared in."""
    return [join_hostport(*split_hostport(a, default_port)) for a in addresses]


def check_sentinels(connector: Connector, params: dict[str, Any]) -> dict[str, Any]:
    """Sentinel mode: the Sentinels name the master, the master and the Sentinels name replicas."""
    sentinels = [probe_sentinel(connector, a, params) for a in normalise(params["sentinels"], SENTINEL_PORT)]
    votes = _ha.master_votes(sentinels)
    master = _ha.named_master(votes, _ha.answered(sentinels))
    problems: list[str] = []
    for probe in sentinels:
        problems += _ha.sentinel_problems(probe, params["master_name"], len(sentinels))
    problems += _ha.disagreement_problem(votes)
    quorum, quorum_problems = _ha.quorum_report(sentinels, master)
    problems += quorum_problems
    master_probe = probe_node(connector, master, params) if master else None
    source = (
        f"no majority of the reachable sentinels names one master for {params['master_name']}"
        if votes
        else f"no reachable sentinel names a master for {params['master_name']}"
    )
    problems += _ha.master_problems(master, master_probe, params["expected_master"], source)
    candidates = _ha.replica_candidates(master, master_probe, sentinels, normalise(params["redis"], REDIS_PORT))
    nodes = {a: probe_node(connector, a, params) for a in candidates}
    return {
        "sentinel_probes": sentinels,
        "quorum": quorum,
        "master_address": master,
        "master_probe": master_probe,
        "node_probes": nodes,
        "problems": problems,
    }


def check_standalone(connector: Connector, params: dict[str, Any]) -> dict[str, Any]:
    """No Sentinel: every named node is asked, the one answering as master is the master."""
    probes = [probe_node(connector, a, params) for a in normalise(params["redis"], REDIS_PORT)]
    master, problems = _ha.choose_standalone_master(probes)
    by_address = {p["address"]: p for p in probes}
    master_probe = by_address.get(master) if master else None
    if master is None:
        problems += [_ha.unreachable_sentence("redis", p) for p in probes if not p["reachable"]]
    problems += _ha.master_problems(master, master_probe, params["expected_master"], "no redis node answers as master")
    others = [p["address"] for p in probes if p["address"] != master and (master or p["reachable"])]
    candidates = _ha.replica_candidates(master, master_probe, [], others)
    nodes = {a: by_address.get(a) or probe_node(connector, a, params) for a in candidates}
    quorum = {"configured": 0, "reachable": 0, "total": 0, "ok": True}
    return {
        "sentinel_probes": [],
        "quorum": quorum,
        "master_address": master,
        "master_probe": master_probe,
        "node_probes": nodes,
        "problems": problems,
    }


def run_check(params: dict[str, Any], connector: Connector = connect) -> dict[str, Any]:
    """The whole check; returns the module result (without failing)."""
    found = check_sentinels(connector, params) if params["sentinels"] else check_standalone(connector, params)
    master, master_probe, problems = found["master_address"], found["master_probe"], found["problems"]
    limits = {"max_lag_bytes": params["max_lag_bytes"], "max_lag_seconds": params["max_lag_seconds"]}
    replicas: list[dict[str, Any]] = []
    replica_problems: dict[str, list[str]] = {}
    for address, probe in found["node_probes"].items():
        entry, found_problems = _ha.replica_report(address, probe, master, master_probe, limits)
        replicas.append(entry)
        replica_problems[address] = found_problems
        problems += found_problems
    problems += _ha.min_replicas_problem(replicas, replica_problems, params["min_replicas"])
    vip = None
    if params["vip"]:
        port = split_hostport(master, REDIS_PORT)[1] if master else REDIS_PORT
        vip_probe = probe_node(connector, join_hostport(params["vip"], port), params)
        vip, vip_problems = _ha.vip_report(params["vip"], vip_probe, (master_probe or {}).get("run_id"))
        problems += vip_problems
    return {
        "changed": False,
        "healthy": not problems,
        "master": _ha.master_entry(master, master_probe),
        "replicas": replicas,
        "sentinels": [_ha.sentinel_entry(p) for p in found["sentinel_probes"]],
        "quorum": found["quorum"],
        "vip": vip,
        "problems": problems,
    }


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not HAS_REDIS:
        module.fail_json(msg=missing_required_lib("redis"), exception=REDIS_IMPORT_ERROR)
    params = module.params
    if not params["sentinels"] and not params["redis"]:
        module.fail_json(msg="nothing to check: give sentinels, or redis nodes when there is no Sentinel")
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds")
    try:
        result = run_check(params)
    except ValueError as exc:  # a malformed host:port in the options
        module.fail_json(msg=f"invalid address: {exc}")
    if params["fail_on_unhealthy"] and not result["healthy"]:
        module.fail_json(msg="Redis HA unhealthy: " + "; ".join(result["problems"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
