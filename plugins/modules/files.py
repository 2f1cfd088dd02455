#!/usr/bin/python
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: files
short_description: Write all the files and directories of a role in one module run
version_added: 0.2.0
description:
  - Each role of the collection renders its templates on the controller (C(lookup('ansible.builtin.template'))) and
    hands every file and directory it manages to one run of this module, instead of one C(template), C(copy) or
    C(file) task (two module runs each) per file. On a re-run where nothing differs it reads each file once and
    changes nothing.
  - Files are written atomically (a temporary file in the same directory, renamed over the old one), in the order
    given, so a later entry's O(files[].validate) command may use a file written by an earlier entry.
  - RV(changed_paths) lists exactly the paths whose content, owner, group or mode changed; the roles notify their
    handlers from it.
author: hakit.redis contributors (@hakit)
options:
  files:
    description: Files and directories, applied in order.
    type: list
    elements: dict
    default: []
    suboptions: &entry
      path:
        description: Absolute path.
        type: path
        required: true
      state:
        description: V(file) writes O(files[].content); V(directory) creates a directory; V(absent) removes a file.
        type: str
        choices: [file, directory, absent]
        default: file
      content:
        description: The whole content of the file (V(state=file)).
        type: str
      owner:
        description: Owner (name). The file's current owner is kept when omitted.
        type: str
      group:
        description: Group (name). The file's current group is kept when omitted.
        type: str
      mode:
        description: Octal mode as a string, e.g. V('0640').
        type: str
      unless_contains:
        description:
          - Write O(files[].content) only when the existing file does not contain this text; otherwise keep the
            content and enforce owner, group and mode alone.
          - Meant for files a daemon rewrites itself (C(redis.conf), C(sentinel.conf)), whose first version comes
            from the role and later ones from the daemon.
          - A replaced file is kept beside it as C(<path>.<timestamp>~).
        type: str
      validate:
        description: Command run on the new content before it replaces the file; V(%s) stands for its path.
        type: str
  system_users:
    description:
      - System users the files belong to, created first when missing (no home, no login shell), such as the
        unprivileged user a check script runs as. A user that exists is left as it is.
    type: list
    elements: str
    default: []
  secret_files:
    description:
      - Like O(files) (same keys), for files that hold secrets. Their contents are never logged or shown in a diff.
    type: list
    elements: dict
    default: []
    suboptions: *entry
attributes:
  check_mode:
    support: full
    description: Reports what it would change and changes nothing.
  diff_mode:
    support: full
    description: Before and after of each changed file of O(files) (never of O(secret_files)).
"""

EXAMPLES = r"""
- name: Write the VIP files
  hakit.redis.files:
    files:
      - path: /etc/keepalived/check.sh
        content: "{{ lookup('ansible.builtin.file', 'check.sh', rstrip=false) }}"
        owner: root
        group: root
        mode: "0755"
      - path: /etc/keepalived/keepalived.conf
        content: "{{ lookup('ansible.builtin.template', 'keepalived.conf.j2') }}"
        mode: "0644"
        validate: "keepalived -t -f %s"
    secret_files:
      - {path: /etc/keepalived/check.secret, content: "{{ password }}\n", owner: keepalived_script, mode: "0600"}
  register: written
"""

RETURN = r"""
changed_paths:
  description: Paths whose content, owner, group or mode changed (or would, in check mode).
  returned: always
  type: list
  elements: str
written_paths:
  description: The subset of RV(changed_paths) whose content was (or would be) written.
  returned: always
  type: list
  elements: str
created_users:
  description: The O(system_users) that did not exist and were (or would be) created.
  returned: always
  type: list
  elements: str
"""

import grp
import os
import pwd
import shlex
import tempfile
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

ENTRY = {
    "path": {"type": "path", "required": True},
    "state": {"type": "str", "choices": ["file", "directory", "absent"], "default": "file"},
    "content": {"type": "str"},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "str"},
    "unless_contains": {"type": "str"},
    "validate": {"type": "str"},
}

SECRET_ENTRY = {**ENTRY, "content": {"type": "str", "no_log": True}}


class FilesError(Exception):
    """A file could not be written as asked; the message names it and why."""


def ids(entry: dict[str, Any]) -> tuple[int, int]:
    """uid, gid wanted (-1 = keep); FilesError for an unknown user or group."""
    try:
        uid = pwd.getpwnam(entry["owner"]).pw_uid if entry.get("owner") else -1
        gid = grp.getgrnam(entry["group"]).gr_gid if entry.get("group") else -1
    except KeyError as exc:
        raise FilesError(f"{entry['path']}: unknown user or group {exc}") from None
    return uid, gid


def attrs_differ(path: str, entry: dict[str, Any], uid: int, gid: int) -> bool:
    st = os.stat(path)
    mode = int(entry["mode"], 8) if entry.get("mode") else None
    return (
        (uid != -1 and st.st_uid != uid)
        or (gid != -1 and st.st_gid != gid)
        or (mode is not None and (st.st_mode & 0o7777) != mode)
    )


def set_attrs(path: str, entry: dict[str, Any], uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    if entry.get("mode"):
        os.chmod(path, int(entry["mode"], 8))


def read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_atomic(module: AnsibleModule, entry: dict[str, Any], uid: int, gid: int, backup: bool) -> None:
    path = entry["path"]
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(entry["content"])
        set_attrs(tmp, entry, uid, gid)
        if entry.get("validate"):
            cmd = entry["validate"].replace("%s", shlex.quote(tmp))
            rc, out, err = module.run_command(cmd, use_unsafe_shell=True)
            if rc != 0:
                raise FilesError(f"{path}: validation failed ({entry['validate']}): {(err or out).strip()[-400:]}")
        if backup and os.path.exists(path):
            os.link(path, f"{path}.{time.strftime('%Y-%m-%d@%H:%M:%S')}~")
        os.rename(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def apply_entry(module: AnsibleModule, entry: dict[str, Any]) -> tuple[bool, dict[str, str] | None]:
    """Bring one path to the wanted state; (changed, diff) -- the diff only when the content changes."""
    path, state = entry["path"], entry["state"]
    if state == "absent":
        if not os.path.lexists(path):
            return False, None
        if not module.check_mode:
            os.unlink(path)
        return True, None
    unknown_owner = False
    try:
        uid, gid = ids(entry)
    except FilesError:
        # In check mode on a fresh host the daemon's user comes with a package not installed yet:
        # the owner would change, and the content is compared as usual.
        if not module.check_mode:
            raise
        uid, gid, unknown_owner = -1, -1, True
    if state == "directory":
        if os.path.isdir(path) and not unknown_owner and not attrs_differ(path, entry, uid, gid):
            return False, None
        if not module.check_mode:
            os.makedirs(path, exist_ok=True)
            set_attrs(path, entry, uid, gid)
        return True, None
    if entry.get("content") is None:
        raise FilesError(f"{path}: state=file needs content")
    before = read(path)
    keep = before is not None and entry.get("unless_contains") and entry["unless_contains"] in before
    if before == entry["content"] or keep:
        if not unknown_owner and not attrs_differ(path, entry, uid, gid):
            return False, None
        if not module.check_mode:
            set_attrs(path, entry, uid, gid)
        return True, None
    if not module.check_mode:
        write_atomic(module, entry, uid, gid, backup=bool(entry.get("unless_contains")))
    return True, {"before_header": path, "after_header": path, "before": before or "", "after": entry["content"]}


def ensure_users(module: AnsibleModule, names: list[str]) -> list[str]:
    """Create the missing system users; their names (also in check mode, where nothing is created)."""
    created = []
    for name in names:
        try:
            pwd.getpwnam(name)
            continue
        except KeyError:
            created.append(name)
        if not module.check_mode:
            cmd = [
                "useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
            ]
            rc, out, err = module.run_command([*cmd, name])
            if rc != 0:
                module.fail_json(msg=f"Could not create the system user {name}: {(err or out).strip()}")
    return created


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "files": {"type": "list", "elements": "dict", "options": ENTRY, "default": []},
            "system_users": {"type": "list", "elements": "str", "default": []},
            # Only the contents are secret: paths and owners stay readable in results and errors.
            "secret_files": {
                "type": "list",
                "elements": "dict",
                "options": SECRET_ENTRY,
                "default": [],
                "no_log": False,
            },
        },
        supports_check_mode=True,
    )
    users = ensure_users(module, module.params["system_users"])
    changed: list[str] = []
    written: list[str] = []
    diffs: list[dict[str, str]] = []
    entries = [(e, False) for e in module.params["files"]] + [(e, True) for e in module.params["secret_files"]]
    for entry, secret in entries:
        try:
            did, diff = apply_entry(module, entry)
        except (FilesError, OSError) as exc:
            # An OSError names the path; a secret file's content never reaches the message.
            module.fail_json(
                msg=f"Could not write {entry['path']}: {exc}", changed_paths=changed, written_paths=written
            )
        if did:
            changed.append(entry["path"])
            if diff:
                written.append(entry["path"])
                if not secret:
                    diffs.append(diff)
    result: dict[str, Any] = {
        "changed": bool(changed or users),
        "changed_paths": changed,
        "written_paths": written,
        "created_users": users,
    }
    if module._diff and diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
