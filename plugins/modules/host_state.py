#!/usr/bin/python
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_state
short_description: Read a host's installed packages and the state of the files the roles manage, in one module run
version_added: 0.2.0
description:
  - Run once per host and playbook run (site.yml's packages play), before any role writes a file. Returns the installed
    packages (as C(dpkg-query) lists them) and, for each path asked for, its type, owner, group, mode, a keyed digest of
    its content and which of the given markers it contains.
  - With it the controller can tell, for each role's C(hakit.redis.files) step, whether that run would change anything
    (filter C(hakit.redis.files_unchanged)), and skip the module run when it would not. A path not asked for, or a host
    whose packages changed since, simply means the step runs as before.
  - The digests are HMAC-SHA256 under O(key), a random key the controller keeps for the run, so that files holding
    secrets (ACL files, the check's password file) can be compared without their plain hashes ever appearing in a
    result.
author: hakit.redis contributors (@hakit)
options:
  key:
    description: The key of the content digests (no digests without it).
    type: str
    default: ""
  paths:
    description: Absolute paths to describe.
    type: list
    elements: path
    default: []
  markers:
    description: Texts to look for in each file (the roles' "first written" markers).
    type: list
    elements: str
    default: []
  users:
    description: User names whose existence to report (a role's system users).
    type: list
    elements: str
    default: []
  packages:
    description: Whether to list the installed packages (C(dpkg-query)).
    type: bool
    default: true
  supervisor:
    description:
      - Where supervisord's program files and configuration are (C(conf_dir), C(config_path)); with it, RV(programs)
        reports each program file's SHA-1 and its program's state, as C(hakit.redis.supervisor_program) with
        C(state=query) does. Omitted, no program is read.
    type: dict
    suboptions:
      conf_dir:
        description: The directory of the program files.
        type: path
        required: true
      config_path:
        description: supervisord.conf (its socket is read from it).
        type: path
        required: true
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Returns no diff.
"""

EXAMPLES = r"""
- name: Read the installed packages and the role's files
  hakit.redis.host_state:
    key: "{{ __hakit_state_key }}"
    paths: [/etc/redis/redis.conf, /var/lib/redis]
    markers: ["hakit.redis: first written by Ansible"]
  register: __hakit_host_state
"""

RETURN = r"""
packages:
  description: Installed packages, each both as NAME and as NAME=VERSION.
  returned: when O(packages) is true
  type: list
  elements: str
paths:
  description:
    - Per path, C(type) (V(file), V(directory), V(absent) or V(other)), and for the others C(owner), C(group) (names,
      or the number when none), C(mode) (four octal digits); for a file C(digest) (HMAC-SHA256 of the content under
      O(key), empty without a key) and C(markers) (the markers it contains).
  returned: always
  type: dict
users:
  description: The names of O(users) that exist on the host.
  returned: always
  type: list
  elements: str
programs:
  description: Per program file of O(supervisor) C(conf_dir), C(sha1) of the file and C(state) of the program.
  returned: when O(supervisor) is given
  type: dict
"""

import grp
import hashlib
import hmac
import os
import pwd
import stat
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hakit.redis.plugins.module_utils._supervisor import SupervisorError, programs_state


def name_of(getter: Any, number: int) -> str:
    try:
        return str(getter(number)[0])
    except KeyError:
        return str(number)


def describe(path: str, key: bytes, markers: list[str]) -> dict[str, Any]:
    """The state of one path, as hakit.redis.files would compare it."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return {"type": "absent"}
    if stat.S_ISDIR(st.st_mode):
        kind = "directory"
    elif stat.S_ISREG(st.st_mode):
        kind = "file"
    else:
        return {"type": "other"}
    out: dict[str, Any] = {
        "type": kind,
        "owner": name_of(pwd.getpwuid, st.st_uid),
        "group": name_of(grp.getgrgid, st.st_gid),
        "mode": f"{st.st_mode & 0o7777:04o}",
    }
    if kind == "file":
        with open(path, "rb") as handle:
            data = handle.read()
        out["digest"] = hmac.new(key, data, hashlib.sha256).hexdigest() if key else ""
        text = data.decode("utf-8", errors="surrogateescape")
        out["markers"] = [m for m in markers if m in text]
    return out


def installed_packages(module: AnsibleModule) -> list[str]:
    fmt = "${db:Status-Abbrev} ${Package}\\n${db:Status-Abbrev} ${Package}=${Version}\\n"
    rc, out, err = module.run_command(["dpkg-query", "--show", f"--showformat={fmt}"])
    if rc != 0:
        module.fail_json(msg=f"dpkg-query failed: {(err or out).strip()[-400:]}")
    return [line.split()[-1] for line in out.splitlines() if line.startswith("ii ")]


def existing_users(names: list[str]) -> list[str]:
    found = []
    for name in names:
        try:
            pwd.getpwnam(name)
            found.append(name)
        except KeyError:
            pass
    return found


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "key": {"type": "str", "default": "", "no_log": True},
            "paths": {"type": "list", "elements": "path", "default": []},
            "markers": {"type": "list", "elements": "str", "default": []},
            "users": {"type": "list", "elements": "str", "default": []},
            "packages": {"type": "bool", "default": True},
            "supervisor": {
                "type": "dict",
                "options": {
                    "conf_dir": {"type": "path", "required": True},
                    "config_path": {"type": "path", "required": True},
                },
            },
        },
        supports_check_mode=True,
    )
    key = module.params["key"].encode("utf-8")
    result: dict[str, Any] = {"changed": False}
    if module.params["packages"]:
        result["packages"] = installed_packages(module)
    try:
        result["paths"] = {p: describe(p, key, module.params["markers"]) for p in module.params["paths"]}
    except OSError as exc:
        module.fail_json(msg=f"Could not read {exc.filename}: {exc.strerror}")
    result["users"] = existing_users(module.params["users"])
    if module.params["supervisor"]:
        sup = module.params["supervisor"]
        try:
            result["programs"] = programs_state(sup["conf_dir"], sup["config_path"])
        except SupervisorError as exc:
            module.fail_json(msg=f"supervisord answered getAllProcessInfo with an error: {exc}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
