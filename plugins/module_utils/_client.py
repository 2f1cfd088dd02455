# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared redis-py import guard and connection helper (private to this collection)."""

from __future__ import annotations

import traceback
from typing import Any

try:
    import redis as _redis

    HAS_REDIS = True
    REDIS_IMPORT_ERROR: str | None = None
except ImportError:  # pragma: no cover - exercised through missing_required_lib
    _redis = None
    HAS_REDIS = False
    REDIS_IMPORT_ERROR = traceback.format_exc()


def connect(host: str, port: int, password: str | None = None, timeout: float = 2.0) -> Any:
    """Return a redis-py client that decodes replies to str; connects lazily on first command."""
    return _redis.Redis(
        host=host,
        port=port,
        password=password or None,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        decode_responses=True,
    )


def describe_error(exc: Exception, host: str, port: int) -> str:
    """Turn a redis-py exception into one sentence an operator can act on."""
    where = f"{host}:{port}"
    if _redis is not None:
        if isinstance(exc, _redis.AuthenticationError):
            return f"{where}: authentication failed (check the password)"
        if isinstance(exc, _redis.ResponseError) and "NOAUTH" in str(exc):
            return f"{where}: authentication required but no password given"
        if isinstance(exc, _redis.TimeoutError):
            return f"{where}: timed out"
        if isinstance(exc, _redis.ConnectionError):
            return f"{where}: unreachable ({exc})"
    return f"{where}: {exc.__class__.__name__}: {exc}"
