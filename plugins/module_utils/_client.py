# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared redis-py import guard and connection helper (private to this collection)."""

from __future__ import annotations

import ssl
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


# Module options shared by every module that connects (documented in the hakit.redis.tls fragment).
TLS_ARGS: dict[str, dict[str, Any]] = {
    "tls": {"type": "bool", "default": False},
    "tls_ca_file": {"type": "path"},
    "tls_cert_file": {"type": "path"},
    "tls_key_file": {"type": "path"},
}


def tls_settings(params: dict[str, Any]) -> dict[str, str | None] | None:
    """The TLS files of a module's options, or None when O(tls) is off."""
    if not params.get("tls"):
        return None
    return {
        "ca": params.get("tls_ca_file"),
        "cert": params.get("tls_cert_file"),
        "key": params.get("tls_key_file"),
    }


def tls_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """{"tls": ...} for connect() when the module's O(tls) is on, else {} (callers' fakes stay valid)."""
    tls = tls_settings(params)
    return {"tls": tls} if tls else {}


def resp_tls_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """{"tls": SSLContext} for _resp.query() when the module's O(tls) is on, else {}."""
    tls = tls_settings(params)
    return {"tls": ssl_context(tls)} if tls else {}


def ssl_context(tls: dict[str, str | None]) -> ssl.SSLContext:
    """A client context: the server's chain verified against the CA; a client certificate when given.

    Host names are not checked: the collection connects to announce IPs, loopback and the VIP, and
    Redis itself does not check them on its replication and Sentinel links either; preflight checks
    that each certificate covers the addresses clients use.
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=tls.get("ca") or None)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    if tls.get("cert"):
        context.load_cert_chain(tls["cert"], tls.get("key") or None)
    return context


def redis_py_tls(tls: dict[str, str | None] | None) -> dict[str, Any]:
    """redis.Redis keyword arguments for `tls` (none without it)."""
    if not tls:
        return {}
    return {
        "ssl": True,
        "ssl_ca_certs": tls.get("ca") or None,
        "ssl_certfile": tls.get("cert") or None,
        "ssl_keyfile": tls.get("key") or None,
        "ssl_cert_reqs": "required",
        "ssl_check_hostname": False,
    }


def connect(
    host: str,
    port: int,
    password: str | None = None,
    timeout: float = 2.0,
    username: str | None = None,
    tls: dict[str, str | None] | None = None,
) -> Any:
    """Return a redis-py client that decodes replies to str; connects lazily on first command.

    With `username` the client authenticates as that ACL user (AUTH user pass), otherwise as the
    default user (AUTH pass), or not at all without a password.

    With `tls` (tls_settings) the connection is TLS, the server verified against its CA.

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
        **redis_py_tls(tls),
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
