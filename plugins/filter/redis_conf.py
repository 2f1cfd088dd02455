# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render one redis.conf line with Redis's own quoting (used by the redis.conf template)."""

from __future__ import annotations

from typing import Any

from ansible_collections.hakit.redis.plugins.module_utils._redis_conf import render_line


def redis_conf_line(key: str, value: Any) -> str:
    return render_line(str(key), value)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"redis_conf_line": redis_conf_line}
