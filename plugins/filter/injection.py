# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight helper: which variables hold a line break that would add lines to a config file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hakit.redis.plugins.module_utils._injection import unsafe_keys as _unsafe_keys


def unsafe_keys(variables: Any) -> list[str]:
    """Given {variable name: value}, the names (name.key, name[0]) whose strings hold a newline,
    carriage return or NUL character; never the values themselves."""
    if not isinstance(variables, Mapping):
        raise AnsibleFilterError("hakit.redis.unsafe_keys expects a dict of variable name to value")
    return _unsafe_keys(variables)


class FilterModule:
    """hakit.redis injection-check filters."""

    def filters(self) -> dict[str, Any]:
        return {"unsafe_keys": unsafe_keys}
