"""Bench-only Ansible callback: how many task results ran a module on each host.

Lives in bench/, not in the collection's plugins/: bench/bench.py puts this directory on
ANSIBLE_CALLBACK_PLUGINS and names it in ANSIBLE_CALLBACKS_ENABLED for its own playbook runs only.
On the playbook's end it writes JSON to the file named by HAKIT_BENCH_MODULE_CALLS:

    {"per_host": {"node1": 61, ...}, "per_host_action": {"node1": {"ansible.builtin.command": 9, ...}},
     "controller_side": {"node1": 80, ...}}

Counted: every result (every loop item separately, every `until` attempt) that executed on a managed
host. Not counted: skipped results, unreachable hosts, controller-side actions (set_fact, assert,
debug, include_*, ...) and anything delegated to localhost or run with connection local. A result
is counted for the host it ran on (the delegated host when delegated to another managed host).
One result is one module run as Ansible reports it; action plugins such as template or copy may
run a stat module first, so the number of connection round trips can be somewhat higher.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: hakit_module_calls
type: aggregate
short_description: counts the task results that ran a module on each host (hakit.redis bench only)
description:
  - Writes per-host counts to the JSON file named by the environment variable HAKIT_BENCH_MODULE_CALLS.
requirements:
  - enable in ANSIBLE_CALLBACKS_ENABLED, with bench/callback_plugins on ANSIBLE_CALLBACK_PLUGINS
"""

OUTPUT_ENV = "HAKIT_BENCH_MODULE_CALLS"

# Actions that run on the controller only (ansible.builtin / ansible.legacy, short names).
CONTROLLER_ACTIONS = frozenset(
    {
        "add_host",
        "assert",
        "debug",
        "fail",
        "group_by",
        "import_playbook",
        "import_role",
        "import_tasks",
        "include",
        "include_role",
        "include_tasks",
        "include_vars",
        "meta",
        "pause",
        "set_fact",
        "set_stats",
        "validate_argument_spec",
    }
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def short_action(action: str) -> str:
    for prefix in ("ansible.builtin.", "ansible.legacy."):
        if action.startswith(prefix):
            return action[len(prefix) :]
    return action


def is_controller_action(action: str) -> bool:
    return short_action(action) in CONTROLLER_ACTIONS


def _is_loop(result: Mapping[str, Any]) -> bool:
    # Callbacks get the items without _ansible_item_result (stripped); ansible_loop_var stays.
    items = result.get("results")
    return isinstance(items, list) and any(
        isinstance(i, Mapping) and ("ansible_loop_var" in i or i.get("_ansible_item_result")) for i in items
    )


def module_runs(
    host: str,
    action: str,
    result: Mapping[str, Any],
    delegate_to: str | None = None,
    connection: str | None = None,
) -> list[tuple[str, int]]:
    """(host it ran on, module runs) for each unit of one task result: each loop item or the result itself.

    Controller-side actions, skipped units and units delegated to localhost or run with connection
    local give nothing. `until` retries count every attempt.
    """
    if is_controller_action(action) or connection == "local":
        return []
    units = [i for i in result["results"] if isinstance(i, Mapping)] if _is_loop(result) else [result]
    out = []
    for unit in units:
        if unit.get("skipped"):
            continue
        # Callbacks get ansible_host/port/user/connection of the delegated host, not its name.
        delegated = unit.get("_ansible_delegated_vars") or result.get("_ansible_delegated_vars") or {}
        target = host
        if delegate_to or delegated:
            if delegated.get("ansible_connection") == "local" or delegated.get("ansible_host") in LOCAL_HOSTS:
                continue
            # The task's delegate_to is not templated in the callback: a plain name, else the address.
            target = delegate_to if delegate_to and "{" not in delegate_to else delegated.get("ansible_host") or host
        if target in LOCAL_HOSTS:
            continue
        attempts = unit.get("attempts", 1)
        out.append((str(target), attempts if isinstance(attempts, int) and attempts > 0 else 1))
    return out


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "hakit_module_calls"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.per_host: Counter[str] = Counter()
        self.per_host_action: dict[str, Counter[str]] = {}
        self.controller_side: Counter[str] = Counter()

    def record(self, task_result: Any) -> None:
        # ansible-core 2.19 has public host/task/result; older cores only the underscored ones.
        host = getattr(task_result, "host", None) or task_result._host
        task = getattr(task_result, "task", None) or task_result._task
        result = getattr(task_result, "result", None)
        if result is None:
            result = task_result._result
        name = host.get_name()
        if name not in LOCAL_HOSTS:  # plays on localhost are the controller's, not a managed host's
            self.per_host[name] += 0  # every managed host with a result is listed, with 0 if need be
        action = str(task.action)
        runs = module_runs(name, action, result, task.delegate_to, task.connection)
        if not runs:
            self.controller_side[name] += 1
        for target, n in runs:
            self.per_host[target] += n
            self.per_host_action.setdefault(target, Counter())[action] += n

    def summary(self) -> dict[str, Any]:
        return {
            "per_host": dict(sorted(self.per_host.items())),
            "per_host_action": {h: dict(sorted(c.items())) for h, c in sorted(self.per_host_action.items())},
            "controller_side": dict(sorted(self.controller_side.items())),
        }

    def v2_runner_on_ok(self, result: Any) -> None:
        self.record(result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self.record(result)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        path = os.environ.get(OUTPUT_ENV)
        if path:
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(self.summary(), fh, indent=2)
                fh.write("\n")
