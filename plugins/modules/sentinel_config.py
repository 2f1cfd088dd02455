#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sentinel_config
short_description: Reconcile a running Sentinel's monitor with SENTINEL MONITOR/SET/REMOVE
version_added: 0.1.0
author: hakit.redis contributors (@hakit)
description:
  - Sentinel rewrites its own configuration file (known peers, replicas, epochs, the current
    master). This module never edits that file; it talks to the running Sentinel instead.
  - When the Sentinel does not monitor O(master_name), or monitors an address that is none of
    O(valid_masters) (for example the distro default 127.0.0.1), it is told to monitor O(master).
  - When it already monitors one of O(valid_masters), the address is left alone, because after a
    failover the Sentinel knows the master better than the inventory.
  - Quorum, timeouts, parallel-syncs, auth-user and auth-pass are compared and set with C(SENTINEL SET).
  - The Sentinel's own ACL users (O(acl_users)) are applied with C(ACL SETUSER)/C(ACL DELUSER) and
    persisted with C(SENTINEL FLUSHCONFIG); the credentials it uses with its peers (O(peer_user),
    O(peer_password)) with C(SENTINEL CONFIG SET).
  - A Sentinel that still runs without a password (one being secured) is reached without one.
extends_documentation_fragment:
  - hakit.redis.tls
options:
  host:
    description: Address of the local Sentinel.
    type: str
    default: 127.0.0.1
  port:
    description: Port of the local Sentinel.
    type: int
    default: 26379
  password:
    description: Password of the Sentinel's default user, if any.
    type: str
  password_previous:
    description: The password the Sentinel has now, tried when O(password) is refused (a rotation's first run).
    type: str
  master_name:
    description: Name of the monitored master.
    type: str
    default: mymaster
  master:
    description: Master to monitor when the Sentinel does not monitor a valid one yet.
    type: dict
    required: true
    suboptions:
      host:
        description: Master address.
        type: str
        required: true
      port:
        description: Master port.
        type: int
        default: 6379
  valid_masters:
    description: Addresses (host only) the monitored master may legitimately have (the redis hosts).
    type: list
    elements: str
    required: true
  quorum:
    description: Sentinels that must agree a master is down.
    type: int
    required: true
  auth_user:
    description: ACL user the Sentinel logs in to the monitored Redis servers as (C(auth-user)).
    type: str
  auth_pass:
    description: Password of the monitored Redis servers (of O(auth_user) when given).
    type: str
  acl_users:
    description:
      - "The Sentinel's ACL users, one ACL file line each (C(user NAME on #<sha256> RULES)); users not
        listed are removed. Omit to leave the users alone."
    type: list
    elements: str
  acl_keep_passwords:
    description:
      - Keep every password a user has live besides the O(acl_users) ones (and users no longer
        listed) while clients move; RV(acl_pending_users) lists them. A later run without it
        removes them.
    type: bool
    default: false
  defer_peer_credentials:
    description:
      - Do not apply O(peer_user)/O(peer_password) yet, only report in RV(peer_credentials_pending)
        that they differ. A Sentinel that logs in to a peer with a password the peer does not accept
        yet keeps a link answering NOAUTH (Sentinel does not reconnect a link that answers), so a
        caller changing them on several Sentinels first makes every one accept the new password,
        then runs again without this.
    type: bool
    default: false
  peer_user:
    description: ACL user the Sentinel logs in to its peers as (C(sentinel-user)).
    type: str
  peer_password:
    description: Password of O(peer_user) (C(sentinel-pass)).
    type: str
  settings:
    description: Per-master settings, e.g. C(down-after-milliseconds), C(failover-timeout), C(parallel-syncs).
    type: dict
    default: {}
  config_path:
    description: Sentinel's configuration file, read (never written) to compare auth-pass.
    type: path
    default: /etc/redis/sentinel.conf
  timeout:
    description: Seconds to wait for the Sentinel.
    type: float
    default: 2.0
attributes:
  check_mode:
    support: full
    description: Compares and reports what would change; nothing is written or sent.
  diff_mode:
    support: none
    description: Changes are reported as key names (values may be secrets).
requirements:
  - redis (Python library, Debian package C(python3-redis))
seealso:
  - module: hakit.redis.ha_check
"""

EXAMPLES = r"""
- name: Monitor the live master
  hakit.redis.sentinel_config:
    master: {host: 10.0.0.11, port: 6379}
    valid_masters: [10.0.0.11, 10.0.0.12]
    quorum: 2
    auth_pass: "{{ redis_password }}"
    settings:
      down-after-milliseconds: 5000
  no_log: true
"""

RETURN = r"""
actions:
  description: Commands sent (or that would be sent in check mode), secrets masked.
  returned: always
  type: list
  elements: str
  sample: ["SENTINEL SET mymaster quorum 2"]
peer_credentials_pending:
  description: Whether O(defer_peer_credentials) held back a change of the peer credentials.
  returned: always
  type: bool
acl_pending_users:
  description: Users kept with a password (or kept at all) the wanted users no longer have, by O(acl_keep_passwords).
  returned: always
  type: list
  elements: str
users_changed:
  description: The Sentinel's ACL users added, changed or removed (or that would be, in check mode).
  returned: always
  type: list
  elements: str
monitored:
  description: Address the Sentinel monitors after the run, C(host:port).
  returned: always
  type: str
"""

import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.hakit.redis.plugins.module_utils import _acl
from ansible_collections.hakit.redis.plugins.module_utils import _redis_conf as conf
from ansible_collections.hakit.redis.plugins.module_utils._client import (
    HAS_REDIS,
    REDIS_IMPORT_ERROR,
    TLS_ARGS,
    connect,
    describe_error,
    error_kind,
    tls_kwargs,
)

# SENTINEL MASTER reply field for each settable per-master option.
_FIELDS = {
    "down-after-milliseconds": "down-after-milliseconds",
    "failover-timeout": "failover-timeout",
    "parallel-syncs": "parallel-syncs",
    "quorum": "quorum",
}


def file_sentinel_values(path: str, name: str) -> dict[str, str]:
    """What Sentinel persisted: auth-pass/auth-user of `name`, sentinel-user/sentinel-pass."""
    found: dict[str, str] = {}
    if not os.path.exists(path):
        return found
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.strip()
            if not line.lower().startswith("sentinel "):
                continue
            args = conf.split_args(line)
            key = args[1].lower() if len(args) > 1 else ""
            if key in ("auth-pass", "auth-user") and len(args) >= 4 and args[2] == name:
                found[key] = args[3]
            elif key in ("sentinel-user", "sentinel-pass") and len(args) >= 3:
                found[key] = args[2]
    return found


def file_auth_pass(path: str, name: str) -> str | None:
    """The auth-pass Sentinel persisted for `name` (None when the file has none)."""
    return file_sentinel_values(path, name).get("auth-pass")


def peer_commands(params: dict[str, Any], stored: dict[str, str]) -> list[list[str]]:
    """SENTINEL CONFIG SET for the peer credentials that differ from the persisted ones."""
    cmds = []
    for option, key in (("peer_user", "sentinel-user"), ("peer_password", "sentinel-pass")):
        if params.get(option) and stored.get(key) != params[option]:
            cmds.append(["SENTINEL", "CONFIG", "SET", key, params[option]])
    return cmds


def master_state(client: Any, name: str) -> dict[str, str] | None:
    try:
        reply = client.execute_command("SENTINEL", "MASTER", name)
    except Exception as exc:
        if "no such master" in str(exc).lower():
            return None
        raise
    if isinstance(reply, dict):
        return {str(k): str(v) for k, v in reply.items()}
    items = list(reply)
    return {str(items[i]): str(items[i + 1]) for i in range(0, len(items) - 1, 2)}


def plan(
    state: dict[str, str] | None, params: dict[str, Any], stored_pass: str | None, stored_user: str | None = None
) -> list[list[str]]:
    """Commands that bring the Sentinel to the wanted state (pure: unit-tested)."""
    name = params["master_name"]
    wanted = {"quorum": params["quorum"], **(params["settings"] or {})}
    cmds: list[list[str]] = []
    if state is not None and state.get("ip") not in params["valid_masters"]:
        cmds.append(["SENTINEL", "REMOVE", name])
        state = None
    if state is None:
        m = params["master"]
        cmds.append(["SENTINEL", "MONITOR", name, m["host"], str(m["port"]), str(params["quorum"])])
        stored_pass = None
        stored_user = None
        current: dict[str, str] = {}
    else:
        current = state
    for key, value in wanted.items():
        field = _FIELDS.get(key, key)
        if key == "quorum" and state is None:
            continue
        if current.get(field) != str(value):
            cmds.append(["SENTINEL", "SET", name, key, str(value)])
    # The user before its password: Sentinel's next login uses both.
    if params.get("auth_user") and stored_user != params["auth_user"]:
        cmds.append(["SENTINEL", "SET", name, "auth-user", params["auth_user"]])
    if params["auth_pass"] and stored_pass != params["auth_pass"]:
        cmds.append(["SENTINEL", "SET", name, "auth-pass", params["auth_pass"]])
    return cmds


def mask(cmd: list[str]) -> str:
    if len(cmd) >= 5 and cmd[3] in ("auth-pass", "sentinel-pass"):
        return " ".join([*cmd[:4], "********"])
    if cmd[:2] == ["ACL", "SETUSER"]:
        return _acl.masked(cmd)
    return " ".join(cmd)


def open_client(module: AnsibleModule) -> tuple[Any, dict[str, str] | None]:
    """The local Sentinel and its view of the master; without a password if it has none yet."""
    p = module.params
    last: Exception | None = None
    candidates = [pw for pw in (p["password"], p["password_previous"]) if pw] + [None]
    for password in candidates:
        client = connect(p["host"], p["port"], password, p["timeout"], **tls_kwargs(p))
        try:
            return client, master_state(client, p["master_name"])
        except Exception as exc:  # noqa: BLE001
            last = exc
            if error_kind(exc) not in ("auth", "noauth") and "without any password" not in str(exc):
                break
    module.fail_json(msg="cannot use the local Sentinel: " + describe_error(last, p["host"], p["port"]))
    raise AssertionError("unreachable")


def run(module: AnsibleModule) -> dict[str, Any]:
    p = module.params
    client, state = open_client(module)
    stored = file_sentinel_values(p["config_path"], p["master_name"])
    peer_cmds = peer_commands(p, stored)
    cmds = plan(state, p, stored.get("auth-pass"), stored.get("auth-user"))
    if not p["defer_peer_credentials"]:
        cmds += peer_cmds
    # Users first: a peer told its new sentinel-pass below logs in to Sentinels that accept it.
    users_changed: list[str] = []
    pending: list[str] = []
    if p["acl_users"] is not None:
        try:
            wanted = _acl.parse("\n".join(p["acl_users"]))
            users_changed, pending = _acl.reconcile(client, wanted, module.check_mode, keep=p["acl_keep_passwords"])
            if users_changed and not module.check_mode:
                client.execute_command("SENTINEL", "FLUSHCONFIG")
        except Exception as exc:  # noqa: BLE001 - AclError or the client's own error
            module.fail_json(msg=f"Sentinel ACL users not applied: {exc}")
    if not module.check_mode:
        for cmd in cmds:
            try:
                client.execute_command(*cmd)
            except Exception as exc:  # noqa: BLE001
                module.fail_json(msg=f"Sentinel refused '{mask(cmd)}': {exc}", actions=[mask(c) for c in cmds])
    cmds += [["ACL", "SETUSER", name] for name in users_changed]
    monitored = f"{p['master']['host']}:{p['master']['port']}"
    if state is not None and state.get("ip") in p["valid_masters"]:
        monitored = f"{state['ip']}:{state.get('port')}"
    return {
        "changed": bool(cmds),
        "actions": [mask(c) for c in cmds],
        "users_changed": users_changed,
        "acl_pending_users": pending,
        "peer_credentials_pending": bool(peer_cmds) and p["defer_peer_credentials"],
        "monitored": monitored,
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "host": {"type": "str", "default": "127.0.0.1"},
            "port": {"type": "int", "default": 26379},
            "password": {"type": "str", "no_log": True},
            "password_previous": {"type": "str", "no_log": True},
            "master_name": {"type": "str", "default": "mymaster"},
            "master": {
                "type": "dict",
                "required": True,
                "options": {
                    "host": {"type": "str", "required": True},
                    "port": {"type": "int", "default": 6379},
                },
            },
            "valid_masters": {"type": "list", "elements": "str", "required": True},
            "quorum": {"type": "int", "required": True},
            "auth_user": {"type": "str"},
            "auth_pass": {"type": "str", "no_log": True},
            "acl_users": {"type": "list", "elements": "str", "no_log": True},
            "acl_keep_passwords": {"type": "bool", "default": False},
            "defer_peer_credentials": {"type": "bool", "default": False},
            "peer_user": {"type": "str"},
            "peer_password": {"type": "str", "no_log": True},
            "settings": {"type": "dict", "default": {}},
            "config_path": {"type": "path", "default": "/etc/redis/sentinel.conf"},
            "timeout": {"type": "float", "default": 2.0},
            **TLS_ARGS,
        },
        supports_check_mode=True,
    )
    if not HAS_REDIS:
        module.fail_json(msg=missing_required_lib("redis"), exception=REDIS_IMPORT_ERROR)
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
