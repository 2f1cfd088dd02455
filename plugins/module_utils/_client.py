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


def connect(
    host: str, port: int, password: str | None = None, timeout: float = 2.0, username: str | None = None
) -> Any:
    """Return a redis-py client that decodes replies to str; connects lazily on first command.

    With `username` the client authenticates as that ACL user (AUTH user pass), otherwise as the
    default user (AUTH pass), or not at all without a password.

    Retries are off: redis-py >= 6 retries 3 times with backoff by default, which turns one dead
    node into ~4 s of waiting; callers report a node as down within `timeout` instead. Replies may
    be RESP3 maps (redis-py >= 6 default) or RESP2 flat lists (distro redis-py 4.x): parse both.
    """
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return _redis.Redis(
        host=host,
        port=port,
        username=username or None,
        # redis-py sends no AUTH for a username without a password: "" authenticates a nopass user.
        password=password or ("" if username else None),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        decode_responses=True,
        retry=Retry(NoBackoff(), 0),
    )


def error_kind(exc: Exception) -> str:
    """Classify a redis-py exception: 'auth', 'noauth', 'timeout', 'unreachable', 'response' or 'other'.

    Callers word their own sentences per kind ("sentinel X unreachable"), so the class is needed
    separately from describe_error's text.
    """
    if _redis is None:
        return "other"
    if isinstance(exc, _redis.AuthenticationError):
        return "auth"
    if isinstance(exc, _redis.ResponseError):
        text = str(exc)
        # Redis answers a wrong password with WRONGPASS, which older redis-py raise as ResponseError.
        if text.startswith("WRONGPASS") or "invalid password" in text or "invalid username-password" in text:
            return "auth"
        if text.startswith("NOAUTH") or "Authentication required" in text:
            return "noauth"
        return "response"
    if isinstance(exc, _redis.TimeoutError):
        return "timeout"
    if isinstance(exc, _redis.ConnectionError):
        return "unreachable"
    return "other"


def describe_error(exc: Exception, host: str, port: int) -> str:
    """Turn a redis-py exception into one sentence an operator can act on."""
    where = f"{host}:{port}"
    kind = error_kind(exc)
    if kind == "auth":
        return f"{where}: authentication failed (check the password)"
    if kind == "noauth":
        return f"{where}: authentication required but no password given"
    if kind == "timeout":
        return f"{where}: timed out"
    if kind == "unreachable":
        return f"{where}: unreachable ({exc})"
    return f"{where}: {exc.__class__.__name__}: {exc}"


def split_hostport(value: str, default_port: int) -> tuple[str, int]:
    """Parse "host", "host:port", "[v6]" or "[v6]:port"; raise ValueError with the bad value."""
    text = str(value).strip()
    if not text:
        raise ValueError("empty address")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad address {value!r}")
        port_text = rest[1:] if rest else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        # No colon, or several (bare IPv6 without brackets): the whole text is the host.
        host, port_text = text, ""
    if not host:
        raise ValueError(f"bad address {value!r}: no host")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"bad address {value!r}: port must be 1-65535")
    return host, int(port_text)


def join_hostport(host: str, port: int) -> str:
    """Inverse of split_hostport, bracketing IPv6 literals."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
