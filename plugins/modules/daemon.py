#!/usr/bin/python
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: daemon
short_description: Start, restart, signal or update one daemon run by supervisord or by systemd
version_added: 0.2.0
description:
  - The one entry point through which the roles act on a running daemon (redis-server, redis-sentinel,
    keepalived), whichever manager runs it, so a restart or a reload means the same thing everywhere.
  - With O(manager=supervisor) it talks to supervisord's XML-RPC socket (found in O(config_path) the way
    C(supervisorctl -c) finds it) instead of spawning C(supervisorctl). When supervisord does not answer, it
    starts it with C(service SERVICE start) and waits up to 30 seconds.
  - With O(manager=systemd) it runs C(systemctl).
  - The caller orders restarts. The roles put C(throttle=1) on the task (one host at a time) and run replicas
    before the master.
author: hakit.redis contributors (@hakit)
options:
  name:
    description: The supervisor program, or the systemd unit (without C(.service)).
    type: str
    required: true
  manager:
    description: What runs the daemon.
    type: str
    choices: [supervisor, systemd]
    required: true
  state:
    description:
      - V(started) starts it when it is not running (for systemd, also enables it when O(enabled) is set).
      - V(restarted) stops and starts it (starts it when it was not running).
      - V(reloaded) sends O(signal) to a running daemon (systemd - C(systemctl kill --kill-whom=main)). A daemon
        that is not running is left alone; it reads the new file when it starts.
      - V(stopped) stops it (for systemd, also disables it when O(enabled=false)).
      - V(updated) (supervisor only) applies a new, changed or removed program file, as
        C(supervisorctl update NAME) does. That (re)starts this program only.
    type: str
    choices: [started, restarted, reloaded, stopped, updated]
    default: started
  while_stopped:
    description:
      - With O(state=restarted), a command (program and arguments, no shell) run between the stop and the start,
        e.g. to edit a file the daemon rewrites from memory while it runs (Sentinel's C(sentinel.conf)). One module
        run keeps the daemon away for as short a time as it can; the daemon is started again also when the
        command fails, and the module then fails with its output.
    type: list
    elements: str
  signal:
    description: The signal V(reloaded) sends.
    type: str
    default: HUP
  enabled:
    description: systemd only. Whether the unit starts at boot; unset leaves it as it is.
    type: bool
  daemon_reload:
    description: systemd only. Run C(systemctl daemon-reload) first (a changed unit file or drop-in).
    type: bool
    default: false
  config_path:
    description:
      - supervisor only. supervisord's main configuration file; its C([supervisorctl] serverurl) names the socket.
    type: path
    default: /etc/supervisor/supervisord.conf
  service:
    description: supervisor only. The distro service that runs supervisord, started when supervisord does not answer.
    type: str
    default: supervisor
attributes:
  check_mode:
    support: full
    description: Reports what it would do; reads the daemon's state but changes nothing.
  diff_mode:
    support: none
    description: Acts on processes, not files; RV(action) says what was done.
"""

EXAMPLES = r"""
- name: Restart redis-server, one host at a time
  hakit.redis.daemon:
    name: redis-server
    manager: supervisor
    state: restarted
  throttle: 1

- name: Make keepalived re-read its configuration
  hakit.redis.daemon:
    name: keepalived
    manager: systemd
    state: reloaded
"""

RETURN = r"""
action:
  description:
    - What was done (or would be in check mode) - V(start), V(restart), V(signal), V(stop), V(update), or V(none).
  returned: always
  type: str
before:
  description:
    - The daemon's state before the run.
    - supervisor - RUNNING, STOPPED, ..., or V(unknown). systemd - active, inactive, ....
  returned: always
  type: str
supervisord_started:
  description: supervisord itself was down and was started.
  returned: always
  type: bool
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hakit.redis.plugins.module_utils._supervisor import RUNNING_STATES, SupervisorError, connect


def supervisor_action(state: str, before: str | None) -> str:
    running = before in RUNNING_STATES
    if state == "updated":
        return "update"
    if before is None:
        return "none" if state in ("stopped", "reloaded") else "unknown"
    return {
        "started": "none" if running else "start",
        "restarted": "restart",
        "reloaded": "signal" if running else "none",
        "stopped": "stop" if running else "none",
    }[state]


def run_supervisor(module: AnsibleModule) -> dict[str, Any]:
    name, state = module.params["name"], module.params["state"]
    client, before, supervisord_started = connect(module, name)
    action = supervisor_action(state, before)
    if action == "unknown":
        module.fail_json(msg=f"supervisord has no program {name}: define it (supervisor role, tasks_from program)")
    changed = action != "none"
    if changed and not module.check_mode:
        if action == "start":
            client.start(name)
        elif action == "restart" and module.params["while_stopped"]:
            client.stop(name)
            failure = run_while_stopped(module)
            client.start(name)
            if failure:
                module.fail_json(msg=failure)
        elif action == "restart":
            client.restart(name)
        elif action == "signal":
            changed = client.signal(name, module.params["signal"])
        elif action == "stop":
            client.stop(name)
        else:
            changed = client.update(name)
    return {
        "changed": changed,
        "action": action if changed else "none",
        "before": before or "unknown",
        "supervisord_started": supervisord_started,
    }


def run_while_stopped(module: AnsibleModule) -> str | None:
    """O(while_stopped) run; a sentence saying how it failed, or None."""
    argv = module.params["while_stopped"]
    rc, out, err = module.run_command(argv)
    if rc != 0:
        return f"{argv[0]} (run while {module.params['name']} was stopped) failed (rc {rc}): {(err or out).strip()}"
    return None


def systemctl(module: AnsibleModule, *args: str, check: bool = True) -> tuple[int, str]:
    rc, out, err = module.run_command(["systemctl", *args])
    if check and rc != 0:
        module.fail_json(msg=f"systemctl {' '.join(args)} failed (rc {rc}): {(err or out).strip()}")
    return rc, out.strip()


def run_systemd(module: AnsibleModule) -> dict[str, Any]:
    name, state, enabled = module.params["name"], module.params["state"], module.params["enabled"]
    unit = f"{name}.service"
    if state == "updated":
        module.fail_json(msg="state=updated is for supervisor programs; for systemd use daemon_reload, state=restarted")
    if module.params["daemon_reload"] and not module.check_mode:
        systemctl(module, "daemon-reload")
    _rc, before = systemctl(module, "is-active", unit, check=False)
    running = before in ("active", "activating", "reloading")
    action = {
        "started": "none" if running else "start",
        "restarted": "restart",
        "reloaded": "signal" if running else "none",
        "stopped": "stop" if running else "none",
    }[state]
    changed = action != "none"
    if changed and not module.check_mode:
        if action == "signal":
            systemctl(module, "kill", f"--signal={module.params['signal']}", "--kill-whom=main", unit)
        elif action == "restart" and module.params["while_stopped"]:
            systemctl(module, "stop", unit)
            failure = run_while_stopped(module)
            systemctl(module, "start", unit)
            if failure:
                module.fail_json(msg=failure)
        else:
            systemctl(module, action, unit)
    if enabled is not None:
        rc, _out = systemctl(module, "is-enabled", "--quiet", unit, check=False)
        if (rc == 0) != enabled:
            changed = True
            if not module.check_mode:
                systemctl(module, "enable" if enabled else "disable", unit)
    return {"changed": changed, "action": action, "before": before, "supervisord_started": False}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "manager": {"type": "str", "required": True, "choices": ["supervisor", "systemd"]},
            "state": {
                "type": "str",
                "default": "started",
                "choices": ["started", "restarted", "reloaded", "stopped", "updated"],
            },
            "signal": {"type": "str", "default": "HUP"},
            "while_stopped": {"type": "list", "elements": "str"},
            "enabled": {"type": "bool"},
            "daemon_reload": {"type": "bool", "default": False},
            "config_path": {"type": "path", "default": "/etc/supervisor/supervisord.conf"},
            "service": {"type": "str", "default": "supervisor"},
        },
        supports_check_mode=True,
    )
    try:
        result = run_supervisor(module) if module.params["manager"] == "supervisor" else run_systemd(module)
    except SupervisorError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
