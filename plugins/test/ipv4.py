# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja test `hakit.redis.ipv4`: the collection's one IPv4 rule, for preflight checks and defaults."""

from __future__ import annotations

from typing import Any

from ansible_collections.hakit.redis.plugins.filter.hosts import is_ipv4


class TestModule:
    def tests(self) -> dict[str, Any]:
        return {"ipv4": is_ipv4}
