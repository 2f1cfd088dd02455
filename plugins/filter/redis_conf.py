# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render one redis.conf/sentinel.conf line with Redis's own quoting (used by both templates)."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hakit.redis.plugins.module_utils._redis_conf import render_line


def redis_conf_line(key: str, value: Any) -> str:
    """`key` and its value(s) quoted as sdssplitargs reads them back.

    Refuses a directive name that is not a word of letters, digits and '-', and a value holding a
    newline, carriage return or NUL; the error names the directive, never the value.
    """
    try:
        return render_line(str(key), value)
    except ValueError as exc:
        raise AnsibleFilterError(f"hakit.redis.redis_conf_line: {exc}") from None


class FilterModule:
    """hakit.redis config-line filters."""

    def filters(self) -> dict[str, Any]:
        return {"redis_conf_line": redis_conf_line}
