# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate each value written into keepalived.conf for its kind (template and preflight)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hakit.redis.plugins.module_utils import _keepalived_conf as ka


def keepalived_value(value: Any, kind: str, name: str) -> str:
    """`value` as keepalived.conf text when it is a valid `kind` (ipv4, int, decimal, interface,
    word, path); otherwise an error naming `name`."""
    try:
        return ka.value(value, kind, name)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


def keepalived_problems(spec: Any) -> list[str]:
    """{variable name: [kind, value or list of values]} to 'name: why' for each invalid value."""
    if not isinstance(spec, Mapping):
        raise AnsibleFilterError("hakit.redis.keepalived_problems expects a dict of name to [kind, value]")
    try:
        return ka.problems(dict(spec))
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    """hakit.redis keepalived filters."""

    def filters(self) -> dict[str, Any]:
        return {"keepalived_value": keepalived_value, "keepalived_problems": keepalived_problems}
