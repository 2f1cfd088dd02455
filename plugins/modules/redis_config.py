#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: redis_config
short_description: Reconcile redis.conf settings in the file and in the running server
version_added: 0.1.0
author: hakit.redis contributors (@hakit)
description:
  - Compares each wanted setting with the line in C(redis.conf) and, when the server answers,
    with its running value (C(CONFIG GET)).
  - Settings Redis can change at runtime are applied with C(CONFIG SET) and their lines edited in
    place, so no restart is needed.
  - Settings Redis cannot change at runtime are edited in the file and reported in
    RV(restart_keys); the caller decides when to restart.
  - Only the managed lines are touched. Lines Redis or Sentinel wrote (C(CONFIG REWRITE) after a
    failover), comments and their order stay as they are.
  - With O(replicaof) set, makes the server a replica of that master (C(REPLICAOF) at runtime and
    the C(replicaof) line in the file). Without it the replication role is never touched, so a
    master promoted by Sentinel stays master.
extends_documentation_fragment:
  - hakit.redis.tls
options:
  path:
    description: Path of C(redis.conf).
    type: path
    default: /etc/redis/redis.conf
  settings:
    description:
      - Wanted settings, directive name to value. Booleans become C(yes)/C(no), lists become
        several arguments, C(null) removes the directive from the file.
    type: dict
    required: true
  secret_settings:
    description:
      - Settings whose values are secrets (C(masterauth), C(requirepass)), merged over O(settings).
        Ansible masks their values in every output, C(-vvv) included;
        pass passwords here rather than in O(settings).
      - Same form as O(settings).
    type: dict
    default: {}
  host:
    description: Address the local server answers on.
    type: str
    default: 127.0.0.1
  port:
    description: Port of the local server.
    type: int
    default: 6379
  password:
    description:
      - Password to authenticate with. When the server refuses it, the C(requirepass) currently in
        the file is tried, so a password change can be applied to a running server.
    type: str
  username:
    description: ACL user to authenticate as (an admin); the default user when omitted.
    type: str
  password_previous:
    description:
      - The password the server has now, tried when O(password) is refused (a rotation's first run).
    type: str
  acl_keep_passwords:
    description:
      - With O(acl_path), keep every password a user has live besides the file's, and the users the
        file no longer names, so clients still logged in with an old password keep working while
        they move; RV(acl_pending_users) lists what is kept. A later run without it removes them.
    type: bool
    default: false
  acl_path:
    description:
      - ACL file (C(aclfile)) whose users the running server must have. Each user is applied with
        C(ACL SETUSER) and users the file does not name are removed with C(ACL DELUSER); changed
        users are reported in RV(acl_changed_users).
      - C(ACL LOAD) is never used, because Redis 7.0 drops the connection of every client logged in
        as a named user on C(ACL LOAD) (replicas included), changed or not.
      - Applied also when the server was started without C(aclfile) (a cluster moving to ACL
        users), so the users exist at once and the restart that C(aclfile) needs can wait.
    type: path
  replicaof:
    description: Master this server must replicate from; omit to leave the role alone.
    type: dict
    suboptions:
      host:
        description: Master address.
        type: str
        required: true
      port:
        description: Master port.
        type: int
        default: 6379
  timeout:
    description: Seconds to wait for the server.
    type: float
    default: 2.0
  plaintext_port:
    description:
      - For a move from plaintext to TLS (docs/tls.md). With O(tls) on, a server that does not answer over TLS on
        O(port) (its TLS port is not open yet) is used in plaintext on this port, e.g. to open O(port) with
        C(tls-port) at runtime. V(0) (the default) never falls back to plaintext.
    type: int
    default: 0
  reload:
    description:
      - Settings to C(CONFIG SET) on the running server even when their value is unchanged, all in one command,
        e.g. V([tls-ca-cert-file, tls-cert-file, tls-key-file]) after new certificate files were written under
        the same paths, which Redis then re-reads (a certificate rotation without restart).
      - Keys that are not in O(settings) are ignored. Skipped in check mode and when no server runs.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Compares and reports what would change; nothing is written or sent.
  diff_mode:
    support: none
    description: Changes are reported as key names (values may be secrets).
requirements:
  - redis (Python library, Debian package C(python3-redis))
notes:
  - Values of C(requirepass), C(masterauth) and O(secret_settings) never appear in the results.
  - "A directive name must be a letter followed by letters, digits or C(-), and no value may hold a
    newline, carriage return or NUL: such a setting fails the task before anything is written."
  - Failure messages name the line number and directive of an unreadable line of the file, never
    its content.
seealso:
  - module: hakit.redis.ha_check
"""

EXAMPLES = r"""
- name: Apply memory settings at runtime and persist them
  hakit.redis.redis_config:
    password: "{{ redis_password }}"
    settings:
      maxmemory: 512mb
      maxmemory-policy: allkeys-lru
  no_log: true

- name: Set the passwords, masked by Ansible wherever they appear
  hakit.redis.redis_config:
    password: "{{ redis_password }}"
    settings:
      maxmemory: 512mb
    secret_settings:
      requirepass: "{{ redis_password }}"
      masterauth: "{{ redis_password }}"

- name: Make this node a replica of the live master
  hakit.redis.redis_config:
    password: "{{ redis_password }}"
    settings: {}
    replicaof:
      host: 10.0.0.11
      port: 6379
  no_log: true
"""

RETURN = r"""
changed_keys:
  description: Settings whose file line or running value changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: [maxmemory]
restart_keys:
  description: Changed settings that only take effect after a restart.
  returned: always
  type: list
  elements: str
  sample: [logfile]
restart_required:
  description: Whether RV(restart_keys) is not empty and the server is running.
  returned: always
  type: bool
live:
  description: Whether the running server answered (runtime values were compared and applied).
  returned: always
  type: bool
acl_pending_users:
  description:
    - Users that still accept a password (or still exist) the ACL file no longer has, kept by
      O(acl_keep_passwords).
  returned: always
  type: list
  elements: str
acl_changed_users:
  description: ACL users added, changed or removed at runtime (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [hakit-check]
replication_changed:
  description: Whether the server was (or would be) pointed at a new master.
  returned: always
  type: bool
reloaded_keys:
  description: The keys of O(reload) set again on the running server (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [tls-ca-cert-file, tls-cert-file, tls-key-file]
"""

import os
import tempfile
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
    tls_kwargs,
)


def read_file(path: str) -> str:
    if not os.path.exists(path):
        return ""
    # surrogateescape: a byte that is not UTF-8 (written by hand) is kept as it is, not an error.
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        return fh.read()


def write_file(module: AnsibleModule, path: str, text: str) -> None:
    """Write atomically, keeping the file's owner and mode (0640 redis:redis)."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".redis.conf.")
    with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(text)
    if os.path.exists(path):
        st = os.stat(path)
        os.chown(tmp, st.st_uid, st.st_gid)
        os.chmod(tmp, st.st_mode & 0o7777)
    module.atomic_move(tmp, path)


def open_client(module: AnsibleModule, text: str) -> Any | None:
    """A client for the running server, or None when nothing listens.

    Tries the wanted password, then the one in the file (a password change not applied yet),
    then none (a fresh distro server), so every state a node can be in is reachable. With O(tls)
    and O(plaintext_port) (a move to TLS), a server whose TLS port does not answer is used in
    plaintext on that port.
    """
    p = module.params
    client, last_error = _login(module, text, p["port"], tls_kwargs(p))
    if client is None and p["tls"] and p["plaintext_port"] and not _is_auth_error(last_error or Exception()):
        client, last_error = _login(module, text, p["plaintext_port"], {})
        port = p["plaintext_port"]
    else:
        port = p["port"]
    if client is not None:
        return client
    if last_error is not None and _is_refused(last_error):
        return None
    module.fail_json(msg="cannot use the running Redis: " + describe_error(last_error, p["host"], port))
    return None


def _login(module: AnsibleModule, text: str, port: int, tls: dict[str, Any]) -> tuple[Any | None, Exception | None]:
    """A logged-in client on `port` (`tls`: tls_kwargs or {}), or None and the last error."""
    p = module.params
    candidates: list[str | None] = [p["password"]]
    if p["password_previous"] and p["password_previous"] not in candidates:
        candidates.append(p["password_previous"])
    current = conf.parse(text).get("requirepass")
    if current and current[-1][1] and current[-1][1][0] not in candidates:
        candidates.append(current[-1][1][0])
    candidates.append(None)
    last_error: Exception | None = None
    for password in candidates:
        login = {"username": p["username"]} if p["username"] and password else {}
        client = connect(p["host"], port, password, p["timeout"], **login, **tls)
        try:
            client.ping()
            return client, None
        except Exception as exc:  # noqa: BLE001 - redis-py raises many kinds; all mean "not usable"
            last_error = exc
            if not _is_auth_error(exc):
                break
    return None, last_error


def _is_auth_error(exc: Exception) -> bool:
    text = str(exc).upper()
    return any(word in text for word in ("AUTH", "WRONGPASS", "USERNAME-PASSWORD", "PASSWORD"))


def _is_refused(exc: Exception) -> bool:
    text = str(exc).lower()
    return "connection refused" in text or "error 111" in text or "no such file" in text


def live_values(client: Any, keys: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key in keys:
        values.update(client.config_get(key))
    return values


def replication_state(client: Any) -> tuple[str, str | None, int | None]:
    info = client.info("replication")
    if info.get("role") == "slave":
        return "replica", str(info.get("master_host")), int(info.get("master_port", 0))
    return "master", None, None


def apply_live(
    module: AnsibleModule, client: Any, keys: list[str], settings: dict[str, Any], secrets: list[str]
) -> list[str]:
    """CONFIG SET each key; return those Redis refused as immutable/protected (restart needed)."""
    refused = []
    for key in keys:
        value = " ".join(conf.to_args(settings[key]))
        try:
            client.config_set(key, value)
        except Exception as exc:  # noqa: BLE001
            text = str(exc).lower()
            if "immutable" in text or "protected" in text:
                refused.append(key)
                continue
            reason = redact(str(exc), [*secrets, value])
            module.fail_json(msg=f"CONFIG SET {key} refused by Redis: {reason}", failed_key=key)
    return refused


def apply_acl(module: AnsibleModule, client: Any) -> tuple[list[str], list[str]]:
    """Users of the ACL file applied to the running server (ACL SETUSER/DELUSER, never ACL LOAD)."""
    path = module.params["acl_path"]
    try:
        wanted = _acl.parse(read_file(path))
    except _acl.AclError as exc:
        module.fail_json(msg=f"{path}: {exc}")
    if not wanted:
        module.fail_json(msg=f"{path} holds no user: write it before applying it")
    try:
        return _acl.reconcile(client, wanted, module.check_mode, keep=module.params["acl_keep_passwords"])
    except Exception as exc:  # noqa: BLE001 - AclError or the client's own error
        module.fail_json(msg=f"ACL users of {path} not applied: {exc}")
    return [], []


def reload_live(module: AnsibleModule, client: Any, keys: list[str], settings: dict[str, Any]) -> None:
    """CONFIG SET `keys` to their (unchanged) values in one command: Redis re-reads the files behind
    tls-cert-file and friends then, checking the new certificate and key together."""
    args: list[str] = []
    for key in keys:
        args += [key, " ".join(conf.to_args(settings[key]))]
    try:
        client.execute_command("CONFIG", "SET", *args)
    except Exception as exc:  # noqa: BLE001
        module.fail_json(msg=f"CONFIG SET {' '.join(keys)} (reload) refused by Redis: {exc}", failed_key=keys[0])


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret (and every wanted value) replaced, longest first."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "********")
    return text


def secret_values(params: dict[str, Any]) -> list[str]:
    """Every argument of a secret setting, and the password: never shown in a message."""
    values = [params["password"] or ""]
    for key, value in params["settings"].items():
        if key.lower() in conf.SECRET_KEYS and value is not None:
            values.extend(conf.to_args(value))
    for value in (params["secret_settings"] or {}).values():
        if value is not None:
            values.extend(conf.to_args(value))
    return values


def wanted_settings(params: dict[str, Any]) -> dict[str, Any]:
    """settings, then secret_settings over them, then the replicaof line; keys lower-cased."""
    settings = {k.lower(): v for k, v in params["settings"].items()}
    settings.update({k.lower(): v for k, v in (params["secret_settings"] or {}).items()})
    replicaof = params["replicaof"]
    if replicaof:
        settings["replicaof"] = [replicaof["host"], str(replicaof["port"])]
    return settings


def run(module: AnsibleModule, server_reachable: bool = True) -> dict[str, Any]:
    """Plan and apply; with server_reachable False only the file is compared (nothing can run yet)."""
    p = module.params
    replicaof = p["replicaof"]
    try:
        settings = wanted_settings(p)
        conf.check_settings(settings)
    except ValueError as exc:
        module.fail_json(msg=f"settings: {exc}")

    text = read_file(p["path"])
    try:
        new_text, file_changed = conf.apply_settings(text, settings)
    except ValueError as exc:
        module.fail_json(msg=f"{p['path']}: {exc}")

    client = open_client(module, text) if server_reachable else None
    live_keys: list[str] = []
    replication_changed = False
    if client is not None:
        managed = [k for k in settings if k != "replicaof"]
        live = live_values(client, [k for k in managed if k not in conf.RESTART_KEYS])
        live_keys = conf.live_differences(live, {k: settings[k] for k in managed})
        if replicaof:
            role, mhost, mport = replication_state(client)
            replication_changed = (role, mhost, mport) != ("replica", replicaof["host"], replicaof["port"])

    restart_keys = sorted(k for k in file_changed if k in conf.RESTART_KEYS)
    reload_keys = [k.lower() for k in p["reload"] if settings.get(k.lower()) is not None]
    # Users first: a replica told its new masteruser below reconnects to a master that has it.
    acl_changed, acl_pending = apply_acl(module, client) if client is not None and p["acl_path"] else ([], [])
    if not module.check_mode:
        if client is not None and live_keys:
            refused = apply_live(module, client, live_keys, settings, secret_values(p))
            restart_keys = sorted(set(restart_keys) | set(refused))
        if client is not None and replication_changed:
            client.execute_command("REPLICAOF", replicaof["host"], str(replicaof["port"]))
        if client is not None and reload_keys:
            reload_live(module, client, reload_keys, settings)
        if file_changed:
            write_file(module, p["path"], new_text)

    changed_keys = sorted(set(file_changed) | set(live_keys))
    reloaded = reload_keys if client is not None else []
    return {
        "changed": bool(changed_keys) or replication_changed or bool(acl_changed) or bool(reloaded),
        "reloaded_keys": reloaded,
        "acl_changed_users": acl_changed,
        "acl_pending_users": acl_pending,
        "changed_keys": changed_keys,
        "restart_keys": restart_keys,
        "restart_required": bool(restart_keys) and client is not None,
        "live": client is not None,
        "replication_changed": replication_changed,
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "default": "/etc/redis/redis.conf"},
            # Secrets go in secret_settings (no_log: masked wherever they appear); ones still passed
            # in settings (requirepass, masterauth) are masked when they equal `password`.
            "settings": {"type": "dict", "required": True},
            "secret_settings": {"type": "dict", "default": {}, "no_log": True},
            "host": {"type": "str", "default": "127.0.0.1"},
            "port": {"type": "int", "default": 6379},
            "password": {"type": "str", "no_log": True},
            "username": {"type": "str"},
            "password_previous": {"type": "str", "no_log": True},
            "acl_path": {"type": "path"},
            "acl_keep_passwords": {"type": "bool", "default": False},
            "replicaof": {
                "type": "dict",
                "options": {
                    "host": {"type": "str", "required": True},
                    "port": {"type": "int", "default": 6379},
                },
            },
            "timeout": {"type": "float", "default": 2.0},
            "reload": {"type": "list", "elements": "str", "default": []},
            "plaintext_port": {"type": "int", "default": 0},
            **TLS_ARGS,
        },
        supports_check_mode=True,
    )
    if not HAS_REDIS and not module.check_mode:
        module.fail_json(msg=missing_required_lib("redis"), exception=REDIS_IMPORT_ERROR)
    # A first --check on a fresh host: python3-redis (like redis-server) is not installed yet, so no
    # server runs whose values could differ; the file comparison alone says what would change.
    module.exit_json(**run(module, server_reachable=HAS_REDIS))


if __name__ == "__main__":
    main()
