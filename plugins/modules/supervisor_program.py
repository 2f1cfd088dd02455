#!/usr/bin/python
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: supervisor_program
short_description: Keep one supervisord program defined and running, in one module run
version_added: 0.2.0
description:
  - Writes the program's file in supervisord's include directory when it differs, and otherwise makes sure the
    program runs (its status, and a start when it is neither RUNNING nor STARTING), through supervisord's
    XML-RPC socket as M(hakit.redis.daemon) does.
  - A new or changed definition is not applied here. RV(needs_update) tells the caller to apply it with
    M(hakit.redis.daemon) O(hakit.redis.daemon#module:state=updated), which restarts the daemon, one host at a
    time; the supervisor role's C(tasks_from=program) does that with C(throttle=1).
  - Used by the supervisor role for redis-server, redis-sentinel and keepalived; one module run per program on
    a re-run, where a template, a status and a start task took three to four.
author: hakit.redis contributors (@hakit)
options:
  name:
    description: Program name; also the file name C(<conf_dir>/<name>.conf). Required unless O(state=query).
    type: str
  content:
    description: The program file's content (required with O(state=present)).
    type: str
  state:
    description:
      - V(absent) removes the file (the caller then applies the update, which stops the program).
      - V(query) changes nothing and returns RV(programs), the SHA-1 and state of every program file in
        O(conf_dir), in one run. The supervisor role reads it once per host, so that on a re-run a role
        whose program file is unchanged and running skips its own module run.
    type: str
    choices: [present, absent, query]
    default: present
  conf_dir:
    description: supervisord's include directory.
    type: path
    default: /etc/supervisor/conf.d
  config_path:
    description: supervisord's main configuration file; its C([supervisorctl] serverurl) names the socket.
    type: path
    default: /etc/supervisor/supervisord.conf
  service:
    description:
      - The distro service that runs supervisord. When supervisord does not answer on its socket, the module
        starts it with C(service NAME start), which uses the systemd unit or the init script, and waits up to
        30 seconds for it to answer. So a re-run repairs a stopped supervisord without a task of its own.
    type: str
    default: supervisor
attributes:
  check_mode:
    support: full
    description: Reports what it would change.
  diff_mode:
    support: full
    description: Before and after of the program file.
"""

EXAMPLES = r"""
- name: Run redis-server under supervisor
  hakit.redis.supervisor_program:
    name: redis-server
    content: "{{ lookup('ansible.builtin.template', 'program.conf.j2') }}"
  register: prog

- name: Apply the new definition, one host at a time
  hakit.redis.daemon:
    name: redis-server
    manager: supervisor
    state: updated
  when: prog.needs_update
  throttle: 1
"""

RETURN = r"""
needs_update:
  description: The file is new, changed or removed, or supervisord does not know the program yet.
  returned: always
  type: bool
started:
  description: The program was not running and was started.
  returned: always
  type: bool
status:
  description: The program's state before the run (RUNNING, STOPPED, ...; empty when not asked).
  returned: always
  type: str
programs:
  description:
    - With O(state=query), for each C(*.conf) file in O(conf_dir) by program name - C(sha1) of the file and
      C(state), the program's state in supervisord (RUNNING, STOPPED, ..., C(unknown) when supervisord does not
      know it, C(unreachable) when supervisord does not answer).
  returned: when O(state=query)
  type: dict
  sample: {"redis-server": {"sha1": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12", "state": "RUNNING"}}
"""

import os
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hakit.redis.plugins.module_utils._supervisor import (
    RUNNING_STATES,
    SupervisorError,
    connect,
    programs_state,
)


def read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write(path: str, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".{os.path.basename(path)}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def sync_file(module: AnsibleModule, path: str) -> tuple[bool, dict[str, str] | None]:
    """Bring the program file to the wanted state; (changed, diff)."""
    before = read(path)
    if module.params["state"] == "absent":
        if before is None:
            return False, None
        if not module.check_mode:
            os.unlink(path)
        return True, {"before_header": path, "after_header": path, "before": before, "after": ""}
    content = module.params["content"]
    if before == content:
        return False, None
    if not module.check_mode:
        write(path, content)
    return True, {"before_header": path, "after_header": path, "before": before or "", "after": content}


def ensure_running(module: AnsibleModule) -> dict[str, Any]:
    """Status, then start when stopped; a program supervisord does not know yet needs an update."""
    name = module.params["name"]
    try:
        client, state, supervisord_started = connect(module, name)
        if state is None:
            return {"needs_update": True, "started": supervisord_started, "status": f"{name} unknown to supervisord"}
        if state in RUNNING_STATES or module.check_mode:
            started = supervisord_started or state not in RUNNING_STATES
            return {"needs_update": False, "started": started, "status": state}
        client.start(name)
    except SupervisorError as exc:
        module.fail_json(msg=f"supervisord could not start {name}: {exc}")
    return {"needs_update": False, "started": True, "status": state}


def query(module: AnsibleModule) -> dict[str, Any]:
    """Every program file's SHA-1 and its program's state; reads only, never starts supervisord."""
    try:
        programs = programs_state(module.params["conf_dir"], module.params["config_path"])
    except SupervisorError as exc:
        module.fail_json(msg=f"supervisord answered getAllProcessInfo with an error: {exc}")
    return {"changed": False, "needs_update": False, "started": False, "status": "", "programs": programs}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str"},
            "content": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent", "query"], "default": "present"},
            "conf_dir": {"type": "path", "default": "/etc/supervisor/conf.d"},
            "config_path": {"type": "path", "default": "/etc/supervisor/supervisord.conf"},
            "service": {"type": "str", "default": "supervisor"},
        },
        required_if=[("state", "present", ["name", "content"]), ("state", "absent", ["name"])],
        supports_check_mode=True,
    )
    if module.params["state"] == "query":
        module.exit_json(**query(module))
    path = os.path.join(module.params["conf_dir"], f"{module.params['name']}.conf")
    try:
        file_changed, diff = sync_file(module, path)
    except OSError as exc:
        module.fail_json(msg=f"Could not write {path}: {exc}")
    result: dict[str, Any] = {"needs_update": file_changed, "started": False, "status": ""}
    if not file_changed and module.params["state"] == "present":
        result.update(ensure_running(module))
    result["changed"] = file_changed or result["started"]
    if module._diff and diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
