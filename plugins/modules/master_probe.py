#!/usr/bin/python
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: master_probe
short_description: Find the live master of a Redis Sentinel deployment
version_added: 0.2.0
description:
  - Asks every Sentinel which master it monitors and every redis host for its replication role, in one
    process, and decides which redis host is the master I(now). The roles run it once per play
    (C(run_once)) before they change anything, so a re-run after a failover never demotes the new master.
  - The rule, in this order. (1) The master a strict majority of the Sentinels that answered name
    (C(SENTINEL get-master-addr-by-name)); Sentinels that disagree with no majority stop the run.
    (2) Without any Sentinel answer, the one redis host that is a master with replicas; several such
    hosts are a split brain and stop the run. (3) Otherwise O(initial), on a fresh deployment.
  - Read-only; speaks the Redis protocol over a plain socket, so it needs no Python library on the host
    and works in check mode before anything is installed.
author: hakit.redis contributors (@hakit)
extends_documentation_fragment:
  - hakit.redis.tls
options:
  redis_hosts:
    description:
      - Inventory name of every redis host mapped to the address it announces (C(replica-announce-ip)).
        A host whose address is not known yet maps to V(null) and is not asked.
    type: dict
    required: true
  redis_port:
    description: Port of the redis servers.
    type: int
    default: 6379
  redis_username:
    description:
      - ACL user to authenticate as on the redis servers, with O(redis_password) as its password. It needs C(INFO).
      - Omit to authenticate as the C(default) user (C(AUTH <password>)).
    type: str
  redis_password:
    description: Password of the redis servers (C(requirepass)), or of O(redis_username); omit when auth is disabled.
    type: str
  redis_password_previous:
    description:
      - Tried when O(redis_password) is refused (a rotation's first run). A server that refuses both
        stops the probe with an error instead of being taken for absent.
    type: str
  sentinels:
    description: Addresses of the Sentinels to ask (V(host) or V(host:port)).
    type: list
    elements: str
    default: []
  sentinel_port:
    description: Port of the Sentinels given without one.
    type: int
    default: 26379
  sentinel_username:
    description:
      - ACL user to authenticate as on the Sentinels, with O(sentinel_password) as its password.
        It needs C(SENTINEL GET-MASTER-ADDR-BY-NAME).
      - Omit to authenticate as the C(default) user.
    type: str
  sentinel_password:
    description: Password of the Sentinels, or of O(sentinel_username), when they require one.
    type: str
  sentinel_password_previous:
    description: Tried when O(sentinel_password) is refused (a rotation's first run).
    type: str
  master_name:
    description: Name the Sentinels monitor the master under.
    type: str
    default: mymaster
  initial:
    description: Inventory name of the master of a fresh deployment (C(redis_initial_master)).
    type: str
    required: true
  timeout:
    description: Seconds to wait for each server; a server down counts as not answering.
    type: float
    default: 1.0
  plaintext_port:
    description:
      - For a move from plaintext to TLS (docs/tls.md). With O(tls) on, a server that does not answer over TLS
        is asked in plaintext, a redis server on this port and a Sentinel on its own port. A Sentinel
        that names the master on this port names it on O(redis_port) in RV(master).
      - V(0) (the default) never falls back to plaintext.
    type: int
    default: 0
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: Nothing is changed.
"""

EXAMPLES = r"""
- name: Find the live master
  hakit.redis.master_probe:
    redis_hosts: {node1: 10.0.0.11, node2: 10.0.0.12}
    redis_password: "{{ redis_password }}"
    sentinels: [10.0.0.11, 10.0.0.12, 10.0.0.13]
    initial: node1
  run_once: true
  no_log: true
  register: probe
"""

RETURN = r"""
master:
  description: The live master.
  returned: success
  type: dict
  contains:
    host: {description: Inventory name., type: str, returned: success}
    ip: {description: Announced address., type: str, returned: success}
    port:
      description: Port, as the Sentinels name it, else O(redis_port).
      type: int
      returned: success
    source:
      description: V(sentinel), V(replication) or V(initial), the rule that decided.
      type: str
      returned: success
sentinels:
  description: Each Sentinel asked, with the master it names (V(null) when it monitors none) or its error.
  returned: always
  type: list
  elements: dict
redis:
  description: Each redis host asked, with its role and replica count, or its error.
  returned: always
  type: list
  elements: dict
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hakit.redis.plugins.module_utils import _ha
from ansible_collections.hakit.redis.plugins.module_utils._client import (
    TLS_ARGS,
    join_hostport,
    resp_tls_kwargs,
    split_hostport,
)
from ansible_collections.hakit.redis.plugins.module_utils._resp import RespError, query


class ProbeError(Exception):
    """The deployment is in a state no re-run should guess about."""


def is_auth_error(exc: Exception) -> bool:
    text = str(exc).upper()
    return isinstance(exc, RespError) and any(w in text for w in ("WRONGPASS", "NOAUTH", "INVALID PASSWORD"))


def query_logged_in(
    host: str, port: int, commands: list[list[str]], params: dict[str, Any], kind: str, plain_port: int = 0
) -> list[Any]:
    """query() with `kind`'s password, then with its previous one when that is refused (a rotation).

    With `plain_port` (O(plaintext_port) is set), a server that does not answer over TLS is asked
    again in plaintext on that port (a move to TLS: the server has no TLS port yet)."""
    try:
        return _query_logged_in(host, port, commands, params, kind, resp_tls_kwargs(params))
    except OSError:
        if not (plain_port and params.get("tls")):
            raise
    return _query_logged_in(host, plain_port, commands, params, kind, {})


def _query_logged_in(
    host: str, port: int, commands: list[list[str]], params: dict[str, Any], kind: str, tls: dict[str, Any]
) -> list[Any]:
    password, previous = params[f"{kind}_password"], params.get(f"{kind}_password_previous")
    username = params.get(f"{kind}_username")
    try:
        return query(host, port, commands, password, params["timeout"], username, **tls)
    except RespError as exc:
        if not previous or not is_auth_error(exc):
            raise
    return query(host, port, commands, previous, params["timeout"], username, **tls)


def ask_sentinel(address: str, params: dict[str, Any]) -> dict[str, Any]:
    host, port = split_hostport(address, params["sentinel_port"])
    entry: dict[str, Any] = {"address": join_hostport(host, port), "reachable": False, "master": None}
    try:
        (reply,) = query_logged_in(
            host,
            port,
            [["SENTINEL", "get-master-addr-by-name", params["master_name"]]],
            params,
            "sentinel",
            port if params.get("plaintext_port", 0) else 0,
        )
    except (OSError, RespError) as exc:
        entry["error"] = str(exc)
        entry["auth_failed"] = is_auth_error(exc)
        return entry
    entry["reachable"] = True
    if isinstance(reply, list) and len(reply) == 2:
        master_port = int(reply[1])
        # A Sentinel still on plaintext names the master's plaintext port: the TLS port is the one to use.
        if params.get("tls") and master_port == params.get("plaintext_port", 0):
            master_port = params["redis_port"]
        entry["master"] = join_hostport(str(reply[0]), master_port)
    return entry


def ask_redis(host: str, address: str | None, params: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"host": host, "address": address, "role": None, "replicas": 0}
    if not address:
        entry["error"] = "address not known"
        return entry
    try:
        (info,) = query_logged_in(
            address, params["redis_port"], [["INFO", "replication"]], params, "redis", params.get("plaintext_port", 0)
        )
    except (OSError, RespError) as exc:
        entry["error"] = str(exc)
        entry["auth_failed"] = is_auth_error(exc)
        return entry
    fields = dict(line.split(":", 1) for line in str(info).splitlines() if ":" in line)
    entry["role"] = fields.get("role")
    entry["replicas"] = _ha.to_int(fields.get("connected_slaves")) or 0
    return entry


def host_of(address: str, redis_hosts: dict[str, str | None]) -> str | None:
    ip, _port = split_hostport(address, 0)
    return next((h for h, a in redis_hosts.items() if a == ip), None)


def decide(sentinels: list[dict[str, Any]], nodes: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """The live master by the module's rule (see DOCUMENTATION); ProbeError when it cannot be told."""
    redis_hosts = params["redis_hosts"]
    votes = _ha.master_votes(sentinels)
    if votes:
        address = _ha.named_master(votes, _ha.answered(sentinels))
        if address is None:
            raise ProbeError(
                " ".join(_ha.disagreement_problem(votes) or ["the Sentinels name no master by a majority"])
                + ". None has a majority: let them settle (check their logs) and run again."
            )
        host = host_of(address, redis_hosts)
        if host is None:
            raise ProbeError(
                f"the Sentinels report master {address}, which is no host of the 'redis' group "
                f"(announce addresses: {redis_hosts}); fix the inventory or sentinel_master_name."
            )
        ip, port = split_hostport(address, params["redis_port"])
        return {"host": host, "ip": ip, "port": port, "source": "sentinel"}
    # A server that refused our login may well be the live master: guessing (the initial master)
    # could demote it, so stop and say which password is wrong.
    refused = [s["address"] for s in sentinels if s.get("auth_failed")] + [
        n["host"] for n in nodes if n.get("auth_failed")
    ]
    if refused:
        raise ProbeError(
            f"{', '.join(refused)} refused the password (redis_password or sentinel_password). If it is being "
            "changed, set redis_password_previous / sentinel_password_previous to the one the cluster has now."
        )
    masters = [n["host"] for n in nodes if n["role"] == "master" and n["replicas"] > 0]
    if len(masters) > 1:
        raise ProbeError(
            f"split brain: {', '.join(masters)} are all masters with replicas and no Sentinel decides. "
            "Choose the master whose data you keep, stop the others, and run again."
        )
    host = masters[0] if masters else params["initial"]
    return {
        "host": host,
        "ip": redis_hosts.get(host),
        "port": params["redis_port"],
        "source": "replication" if masters else "initial",
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "redis_hosts": {"type": "dict", "required": True},
            "redis_port": {"type": "int", "default": 6379},
            "redis_username": {"type": "str"},
            "redis_password": {"type": "str", "no_log": True},
            "redis_password_previous": {"type": "str", "no_log": True},
            "sentinels": {"type": "list", "elements": "str", "default": []},
            "sentinel_port": {"type": "int", "default": 26379},
            "sentinel_username": {"type": "str"},
            "sentinel_password": {"type": "str", "no_log": True},
            "sentinel_password_previous": {"type": "str", "no_log": True},
            "master_name": {"type": "str", "default": "mymaster"},
            "initial": {"type": "str", "required": True},
            "timeout": {"type": "float", "default": 1.0},
            "plaintext_port": {"type": "int", "default": 0},
            **TLS_ARGS,
        },
        supports_check_mode=True,
    )
    params = dict(module.params)
    params["redis_hosts"] = {str(h): (str(a) if a else None) for h, a in params["redis_hosts"].items()}
    if params["initial"] not in params["redis_hosts"]:
        module.fail_json(
            msg=f"initial master {params['initial']} is not one of the redis hosts {sorted(params['redis_hosts'])}"
        )
    try:
        sentinels = [ask_sentinel(a, params) for a in params["sentinels"] if a]
    except ValueError as exc:
        module.fail_json(msg=f"bad Sentinel address: {exc}")
    # The hosts themselves matter only when no Sentinel names a master (fresh, or no Sentinels).
    nodes = [] if _ha.master_votes(sentinels) else [ask_redis(h, a, params) for h, a in params["redis_hosts"].items()]
    try:
        master = decide(sentinels, nodes, params)
    except ProbeError as exc:
        module.fail_json(msg=f"Cannot tell the live master: {exc}", sentinels=sentinels, redis=nodes)
    module.exit_json(changed=False, master=master, sentinels=sentinels, redis=nodes)


if __name__ == "__main__":
    main()
