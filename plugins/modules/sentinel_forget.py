#!/usr/bin/python
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sentinel_forget
short_description: Make one Sentinel forget nodes that are gone, and wait until it has relearned the rest
version_added: 0.2.0
description:
  - A Sentinel never forgets a replica or a peer Sentinel it once saw. A removed or dead node stays in its
    tables, counts in its view of the deployment, and keeps a removed Sentinel in the majority arithmetic.
  - When this Sentinel knows a replica or a Sentinel outside O(replicas) / O(sentinels), the module sends
    C(SENTINEL RESET <master_name>). Then it waits until the Sentinel has found every replica in O(replicas)
    again (from the master's C(INFO)) and every Sentinel in O(sentinels) (from the hello channel), and no other.
  - When the Sentinel already knows exactly those, nothing is sent (C(changed=false)).
  - Run it on one Sentinel at a time (C(serial=1) or C(throttle=1)). The Sentinel documentation asks for that,
    so that the others keep their quorum while one relearns.
author: hakit.redis contributors (@hakit)
extends_documentation_fragment:
  - hakit.redis.tls
options:
  host:
    description: The Sentinel to reset.
    type: str
    default: 127.0.0.1
  port:
    description: Its port.
    type: int
    default: 26379
  username:
    description: ACL user on the Sentinel (omit for the C(default) user). It needs C(SENTINEL RESET).
    type: str
  password:
    description: Password of O(username), or of the Sentinel's C(default) user.
    type: str
  master_name:
    description: Name under which the Sentinels monitor the master.
    type: str
    default: mymaster
  replicas:
    description: Every replica that should remain, as V(ip:port) the way the master lists them.
    type: list
    elements: str
    required: true
  sentinels:
    description:
      - Every OTHER Sentinel that should remain, as V(ip:port) the way they announce themselves (this one
        excluded).
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait for the Sentinel to relearn the replicas and Sentinels after the reset.
    type: float
    default: 60
attributes:
  check_mode:
    support: full
    description: Reports whether a reset is needed and what the Sentinel would forget; sends nothing.
  diff_mode:
    support: none
    description: Nothing on disk is compared; RV(forgotten) lists what the reset removes.
notes:
  - Needs only the Python standard library on the host that runs it.
"""

EXAMPLES = r"""
- name: Forget node4, which left the deployment
  hakit.redis.sentinel_forget:
    password: "{{ sentinel_password }}"
    replicas: [10.0.0.12:6379]
    sentinels: [10.0.0.12:26379, 10.0.0.13:26379]
  throttle: 1
"""

RETURN = r"""
forgotten:
  description: The replicas and Sentinels the Sentinel knew beyond the wanted ones (what the reset removed).
  returned: always
  type: list
  elements: str
relearned_after_seconds:
  description: From the reset until the Sentinel knew every wanted replica and Sentinel again.
  returned: when changed and not in check mode
  type: float
"""

import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hakit.redis.plugins.module_utils._client import TLS_ARGS, resp_tls_kwargs
from ansible_collections.hakit.redis.plugins.module_utils._ha import pairs_to_dict
from ansible_collections.hakit.redis.plugins.module_utils._resp import RespError, query


def addresses(reply: Any) -> set[str]:
    """ip:port of each entry of SENTINEL REPLICAS / SENTINELS (RESP2 flat lists or RESP3 maps)."""
    out = set()
    for raw in reply or []:
        entry = pairs_to_dict(raw)
        out.add(f"{entry.get('ip')}:{entry.get('port')}")
    return out


def view(params: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(replicas, other Sentinels) this Sentinel knows."""
    name = params["master_name"]
    replicas, sentinels = query(
        params["host"],
        params["port"],
        [["SENTINEL", "REPLICAS", name], ["SENTINEL", "SENTINELS", name]],
        password=params["password"],
        username=params["username"],
        timeout=2.0,
        **resp_tls_kwargs(params),
    )
    return addresses(replicas), addresses(sentinels)


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    want_replicas, want_sentinels = set(params["replicas"]), set(params["sentinels"])
    replicas, sentinels = view(params)
    extra = sorted((replicas - want_replicas) | (sentinels - want_sentinels))
    result: dict[str, Any] = {"changed": bool(extra), "forgotten": extra}
    if not extra or module.check_mode:
        return result
    query(
        params["host"],
        params["port"],
        [["SENTINEL", "RESET", params["master_name"]]],
        password=params["password"],
        username=params["username"],
        timeout=2.0,
        **resp_tls_kwargs(params),
    )
    start = time.monotonic()
    deadline = start + params["timeout"]
    while True:
        try:
            replicas, sentinels = view(params)
            if replicas == want_replicas and sentinels == want_sentinels:
                result["relearned_after_seconds"] = round(time.monotonic() - start, 2)
                return result
        except (OSError, RespError):
            pass
        if time.monotonic() > deadline:
            module.fail_json(
                msg=(
                    f"after SENTINEL RESET, {params['host']}:{params['port']} knows replicas {sorted(replicas)} and "
                    f"Sentinels {sorted(sentinels)}, not {sorted(want_replicas)} and {sorted(want_sentinels)}, "
                    f"after {params['timeout']:g} s: check that the remaining nodes run and reach each other "
                    "(hakit.redis.status)"
                ),
                **result,
            )
        time.sleep(0.5)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "host": {"type": "str", "default": "127.0.0.1"},
            "port": {"type": "int", "default": 26379},
            "username": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "master_name": {"type": "str", "default": "mymaster"},
            "replicas": {"type": "list", "elements": "str", "required": True},
            "sentinels": {"type": "list", "elements": "str", "required": True},
            "timeout": {"type": "float", "default": 60.0},
            **TLS_ARGS,
        },
        supports_check_mode=True,
    )
    try:
        module.exit_json(**run(module))
    except (OSError, RespError) as exc:
        module.fail_json(msg=f"Sentinel {module.params['host']}:{module.params['port']}: {exc}")


if __name__ == "__main__":
    main()
