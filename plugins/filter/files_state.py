# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would a hakit.redis.files run change anything? Decided on the controller from hakit.redis.host_state.

A re-run of a healthy cluster then skips each role's files step instead of spending a module run on
finding nothing to do. Every doubt (a path not described, a user not known, no digest key) answers
"it may change", and the step runs as before: the answer is only ever used to skip.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from ansible.errors import AnsibleFilterError


def _entry_unchanged(entry: dict[str, Any], seen: dict[str, Any] | None, key: bytes) -> bool:
    if not isinstance(seen, dict):
        return False
    state = entry.get("state") or "file"
    if state == "absent":
        return seen.get("type") == "absent"
    if seen.get("type") != state:
        return False
    for attr in ("owner", "group"):
        if entry.get(attr) and str(entry[attr]) != seen.get(attr):
            return False
    if entry.get("mode") and int(str(entry["mode"]), 8) != int(str(seen.get("mode", "-1")), 8):
        return False
    if state == "directory":
        return True
    marker = entry.get("unless_contains")
    if marker and marker in seen.get("markers", []):
        return True
    content = entry.get("content")
    if content is None or not seen.get("digest"):
        return False
    digest = hmac.new(key, str(content).encode("utf-8", errors="surrogateescape"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(digest, str(seen["digest"]))


def files_unchanged(files: Any, host_state: Any, key: Any, secret_files: Any = None, system_users: Any = None) -> bool:
    """True when hakit.redis.files with these arguments would change nothing on the host ``host_state`` describes.

    ``files``/``secret_files``: the module's entries (path, state, content, owner, group, mode, unless_contains);
    ``host_state``: the result of hakit.redis.host_state (empty or undefined: False); ``key``: its digest key.
    """
    entries = list(files or []) + list(secret_files or [])
    if not all(isinstance(e, dict) and e.get("path") for e in entries):
        raise AnsibleFilterError("files_unchanged expects lists of hakit.redis.files entries (dicts with a path)")
    if not isinstance(host_state, dict) or not key:
        return False
    paths = host_state.get("paths") or {}
    if any(u not in (host_state.get("users") or []) for u in (system_users or [])):
        return False
    raw = str(key).encode("utf-8")
    return all(_entry_unchanged(e, paths.get(e["path"]), raw) for e in entries)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"files_unchanged": files_unchanged}
