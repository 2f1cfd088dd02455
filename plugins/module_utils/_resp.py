# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A minimal RESP2 client over a plain socket (private to this collection).

For read-only probes that must work before python3-redis is installed: the live-master discovery
runs first on a fresh host, and in check mode nothing gets installed at all.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from typing import Any


class RespError(Exception):
    """An error reply (-ERR ..., -NOAUTH ...) from the server."""


def _encode(args: list[str]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _read_reply(stream: Any) -> Any:
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("connection closed")
    kind, body = line[:1], line[1:-2].decode(errors="replace")
    if kind == b"+":
        return body
    if kind == b"-":
        raise RespError(body)
    if kind == b":":
        return int(body)
    if kind == b"$":
        size = int(body)
        if size < 0:
            return None
        data = stream.read(size + 2)
        return data[:-2].decode(errors="replace")
    if kind == b"*":
        size = int(body)
        return None if size < 0 else [_read_reply(stream) for _index in range(size)]
    raise ConnectionError(f"unexpected reply {line[:20]!r}")


def auth_command(password: str | None, username: str | None = None) -> list[str]:
    """The AUTH to send first, or [] when there is nothing to authenticate with.

    With a username it is the ACL form AUTH <user> <pass> (an empty password then, for a nopass
    user); without one the legacy form AUTH <pass>, which authenticates as the default user.
    """
    if username:
        return ["AUTH", username, password or ""]
    return ["AUTH", password] if password else []


def query(
    host: str,
    port: int,
    commands: list[list[str]],
    password: str | None = None,
    timeout: float = 1.0,
    username: str | None = None,
    tls: ssl.SSLContext | None = None,
) -> list[Any]:
    """Run `commands` on one connection (AUTH first when a password or username is given); replies in order.

    With `tls` (an SSLContext, _client.ssl_context) the connection is TLS.
    Raises OSError (refused, timeout, closed, ssl.SSLError) or RespError (an error reply, e.g. a
    wrong password).
    """
    auth = auth_command(password, username)
    with contextlib.ExitStack() as stack:
        sock = stack.enter_context(socket.create_connection((host, port), timeout=timeout))
        if tls is not None:
            # The handshake runs here, within `timeout`; the wrapped socket owns the descriptor.
            sock = stack.enter_context(tls.wrap_socket(sock))
        sock.settimeout(timeout)
        todo = ([auth] if auth else []) + commands
        sock.sendall(b"".join(_encode(c) for c in todo))
        stream = sock.makefile("rb")
        if auth:
            try:
                _read_reply(stream)
            except RespError as exc:
                # A server without a password refuses AUTH but answers everything else: as redis-cli.
                if "without any password" not in str(exc):
                    raise
        return [_read_reply(stream) for _command in commands]
