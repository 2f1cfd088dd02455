# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets the collection derives from the user's passwords, and the ACL form it stores them in.

The internal ACL users (replication, Sentinel, the health checks, Sentinel peers) get passwords
derived from `redis_password` or `sentinel_password` on the controller: no new secret to store, and
a rotation of the user's password rotates them too. They are hexadecimal, so Sentinel's unquoted
rewrite of `auth-pass` and `sentinel-pass` cannot break sentinel.conf whatever the user's password
contains.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

_PURPOSE_PREFIX = "hakit.redis:"


def derive_password(secret: Any, purpose: str) -> str:
    """HMAC-SHA256(key=secret, msg="hakit.redis:" + purpose) as 64 hex digits ('' without a secret)."""
    if secret is None or str(secret) == "":
        return ""
    key = str(secret).encode("utf-8")
    return hmac.new(key, (_PURPOSE_PREFIX + str(purpose)).encode("utf-8"), hashlib.sha256).hexdigest()


def acl_hash(password: Any) -> str:
    """The form an ACL file stores a password in: '#' + SHA-256 hex of its UTF-8 bytes."""
    return "#" + hashlib.sha256(str(password).encode("utf-8")).hexdigest()


def acl_user(name: str, passwords: Any, rules: Any = "", enabled: bool = True) -> str:
    """One line of an ACL file: `user NAME on|off sanitize-payload #<sha256>... RULES`.

    `passwords` is one cleartext password or a list (several are valid at once during a
    rotation); none (or only empty ones) means `nopass`. `sanitize-payload` is written out because
    ACL SETUSER ... reset adds it: the file and the running server then describe the user alike.
    """
    if isinstance(passwords, (str, bytes)) or passwords is None:
        passwords = [passwords]
    secrets = [acl_hash(p) for p in passwords if p is not None and str(p) != ""]
    words = ["user", str(name), "on" if enabled else "off", "sanitize-payload"]
    words += secrets or ["nopass"]
    words += str(rules or "").split()
    return " ".join(words)


def acl_user_entry(user: dict[str, Any]) -> str:
    """acl_user() for one entry of redis_users: {name, password or passwords, rules, enabled}."""
    passwords = user.get("passwords")
    if passwords is None:
        passwords = user.get("password")
    return acl_user(user["name"], passwords, user.get("rules", ""), bool(user.get("enabled", True)))


class FilterModule:
    """hakit.redis secret filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "derive_password": derive_password,
            "acl_hash": acl_hash,
            "acl_user": acl_user,
            "acl_user_entry": acl_user_entry,
        }
