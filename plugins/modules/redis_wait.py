#!/usr/bin/python
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: redis_wait
short_description: Wait until a Redis or Sentinel server answers a command as expected
version_added: 0.2.0
description:
  - Sends O(command) to a Redis or Sentinel server, again every O(delay) seconds, until the reply matches
    O(expect) or O(timeout) seconds have passed. One module run instead of an C(until) loop of
    C(redis-cli) tasks.
  - The password goes to the server inside the module's connection (C(AUTH)), never on a command line
    or in the environment of a process, so C(ps) on the target does not show it.
  - A reply that does not match, an error reply (C(LOADING), C(NOAUTH), C(WRONGPASS), C(NOPERM), C(NOQUORUM)...)
    and a refused or timed-out connection all count as not yet; the task fails at the end of O(timeout)
    with the last of them.
  - Read-only as long as O(command) is; speaks the Redis protocol over a plain socket, so it needs no Python
    library on the host.
author: hakit.redis contributors (@hakit)
extends_documentation_fragment:
  - hakit.redis.tls
options:
  host:
    description: Address of the server.
    type: str
    default: 127.0.0.1
  port:
    description: Port of the server (6379 for Redis, 26379 for Sentinel by convention).
    type: int
    required: true
  username:
    description:
      - ACL user to authenticate as (C(AUTH <user> <password>)), with O(password) as its password.
      - Omit to authenticate as the C(default) user (C(AUTH <password>)), or not at all without O(password).
    type: str
  password:
    description:
      - Password of the server (C(requirepass)), or of O(username). Omit when the server has none.
      - A server without any password that refuses C(AUTH <password>) is tolerated, as C(redis-cli) does.
    type: str
  command:
    description:
      - The command and its arguments, one list element each, sent as they are (no shell, no quoting).
      - Only the first word appears in a failure message; error replies of the server may quote arguments,
        so pass no secret here.
    type: list
    elements: str
    default: [PING]
  expect:
    description:
      - Python regular expression searched in the reply rendered as text (V(re.search), so anchor it with
        V(^) to match from the start). A simple or bulk string is its text, an integer its digits, a nil
        reply the empty string, an array its elements one per line.
    type: str
    default: ^(PONG|OK)
  timeout:
    description:
      - Seconds to keep trying in total. V(0) tries once.
    type: float
    default: 30
  delay:
    description: Seconds between two tries.
    type: float
    default: 1
  connect_timeout:
    description: Seconds to wait for the connection and for each reply of one try.
    type: float
    default: 1
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs in check mode as well.
  diff_mode:
    support: none
    description: Nothing is changed.
notes:
  - Always returns C(changed=false). Do not use it for commands that write.
seealso:
  - module: hakit.redis.ha_check
    description: The health of a whole deployment.
"""

EXAMPLES = r"""
- name: Wait until Redis answers PING
  hakit.redis.redis_wait:
    port: 6379
    password: "{{ redis_password }}"

- name: Wait until the Sentinels can authorise a failover, as a named ACL user
  hakit.redis.redis_wait:
    port: 26379
    username: hakit-check
    password: "{{ sentinel_check_password }}"
    command: [SENTINEL, CKQUORUM, mymaster]
    expect: ^OK
    timeout: 60

- name: Wait until the replica has finished its full sync
  hakit.redis.redis_wait:
    port: 6379
    password: "{{ redis_password }}"
    command: [INFO, replication]
    expect: master_link_status:up
"""

RETURN = r"""
reply:
  description:
    - The reply as text (see O(expect)), the one that matched.
    - On failure, the last reply received, V(null) when none was (only errors).
  returned: always
  type: str
  sample: PONG
error:
  description: On failure, the last error reply or connection error; V(null) when the last try got a reply.
  returned: failure
  type: str
  sample: NOAUTH Authentication required.
attempts:
  description: How many times the command was sent (or a connection tried).
  returned: always
  type: int
  sample: 1
elapsed:
  description: Seconds from the first try to the last answer.
  returned: always
  type: float
  sample: 0.002
"""

import re
import time
from collections.abc import Callable
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hakit.redis.plugins.module_utils._client import TLS_ARGS, join_hostport, resp_tls_kwargs
from ansible_collections.hakit.redis.plugins.module_utils._resp import RespError, query

# How much of a reply a failure message quotes.
SHOWN_REPLY = 200


def argument_spec() -> dict[str, Any]:
    """Options, as documented above."""
    return {
        "host": {"type": "str", "default": "127.0.0.1"},
        "port": {"type": "int", "required": True},
        "username": {"type": "str"},
        "password": {"type": "str", "no_log": True},
        "command": {"type": "list", "elements": "str", "default": ["PING"]},
        "expect": {"type": "str", "default": "^(PONG|OK)"},
        "timeout": {"type": "float", "default": 30.0},
        "delay": {"type": "float", "default": 1.0},
        "connect_timeout": {"type": "float", "default": 1.0},
        **TLS_ARGS,
    }


def render(reply: Any) -> str:
    """A reply as text: strings as they are, integers as digits, nil as "", arrays one element per line."""
    if reply is None:
        return ""
    if isinstance(reply, list):
        return "\n".join(render(item) for item in reply)
    return str(reply)


def check_params(params: dict[str, Any]) -> str | None:
    """The first option that makes no sense, as a sentence; None when all are fine."""
    if not params["command"] or not params["command"][0]:
        return "command must name a command, e.g. [PING]"
    if not 0 < params["port"] < 65536:
        return f"port must be 1-65535, not {params['port']}"
    if params["timeout"] < 0:
        return "timeout must be 0 (one try) or more seconds"
    if params["delay"] <= 0:
        return "delay must be a positive number of seconds"
    if params["connect_timeout"] <= 0:
        return "connect_timeout must be a positive number of seconds"
    try:
        re.compile(params["expect"])
    except re.error as exc:
        return f"expect is not a valid regular expression: {exc}"
    return None


def try_once(
    params: dict[str, Any], ask: Callable[..., list[Any]], tls: dict[str, Any] | None = None
) -> tuple[str | None, str | None]:
    """One try: (reply text, None) when the server answered, (None, error) when it did not.

    `tls`: resp_tls_kwargs(params), built once per wait (one SSL context for every try).
    """
    try:
        (reply,) = ask(
            params["host"],
            params["port"],
            [params["command"]],
            params["password"],
            params["connect_timeout"],
            params["username"],
            **(tls or {}),
        )
    except RespError as exc:
        return None, str(exc)
    except (OSError, ValueError) as exc:
        # "[Errno 111] Connection refused", "timed out", "connection closed"; ValueError: something that
        # is not a Redis server answered (a malformed length). A bare class name when there is no text.
        return None, str(exc) or exc.__class__.__name__
    return render(reply), None


def wait(
    params: dict[str, Any],
    ask: Callable[..., list[Any]] = query,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Try until the reply matches or the time is up; the result, with `ok` telling which."""
    pattern = re.compile(params["expect"])
    start = clock()
    deadline = start + params["timeout"]
    attempts = 0
    tls = resp_tls_kwargs(params)
    while True:
        attempts += 1
        reply, error = try_once(params, ask, tls)
        now = clock()
        if reply is not None and pattern.search(reply):
            return {"ok": True, "reply": reply, "error": None, "attempts": attempts, "elapsed": round(now - start, 3)}
        if now >= deadline:
            return {"ok": False, "reply": reply, "error": error, "attempts": attempts, "elapsed": round(now - start, 3)}
        sleep(min(params["delay"], deadline - now))


def failure_message(params: dict[str, Any], result: dict[str, Any]) -> str:
    """What did not happen, naming the server, the command's first word and the last answer."""
    where = join_hostport(params["host"], params["port"])
    if result["error"] is not None:
        last = f"last error: {result['error']}"
    else:
        text = result["reply"] or ""
        shown = text if len(text) <= SHOWN_REPLY else text[:SHOWN_REPLY] + "..."
        last = f"last reply: {shown!r}"
    tries = "1 try" if result["attempts"] == 1 else f"{result['attempts']} tries"
    within = f"within {params['timeout']:g} s ({tries})" if params["timeout"] else "at the only try (timeout 0)"
    word = params["command"][0].upper()
    return f"{where} did not answer {word} with a reply matching {params['expect']!r} {within}; {last}"


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    problem = check_params(params)
    if problem:
        module.fail_json(msg=problem)
    result = wait(params)
    ok = result.pop("ok")
    if not ok:
        module.fail_json(msg=failure_message(params, result), changed=False, **result)
    result.pop("error")
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
