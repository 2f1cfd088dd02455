"""A RESP client with nothing but the standard library, run by python3 inside a bare container.

The chaos suite runs it in a container of its own on the lab network (a host that is not part of
the deployment, as an attacker or an application would be): `docker exec -i <probe> python3 -c
"<this file>"` with the plan as JSON on stdin, so no password is ever on a command line. The base
image has python3 and nothing else to install.

Plan: a list of sessions, each {"host", "port", "auth": [user, password] or null, "commands":
[[arg, ...], ...], "refused_only": bool}. Each session is one connection; AUTH first when given
(nothing else is sent when AUTH fails). With refused_only, the commands are sent in order only as
long as every reply so far was an error: a server that accepts one of them (a regression) is not
sent the more destructive ones that follow. Output: one list of replies per session, as JSON;
an error reply is {"error": "..."}, a command not sent is {"skipped": "..."}.
"""

from __future__ import annotations

import json
import socket
import sys
from typing import Any


def encode(args: list[str]) -> bytes:
    out = b"*%d\r\n" % len(args)
    for arg in args:
        data = arg.encode("utf-8")
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


class Conn:
    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def call(self, args: list[str]) -> Any:
        self.sock.sendall(encode(args))
        return self.read()

    def read(self) -> Any:
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise EOFError("the server closed the connection")
        kind, rest = line[:1], line[1:-2].decode("utf-8", "replace")
        if kind == b"+":
            return rest
        if kind == b"-":
            return {"error": rest}
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self.file.read(size + 2)[:-2].decode("utf-8", "replace")
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self.read() for _ in range(size)]
        raise ValueError(f"unexpected RESP reply {line[:40]!r}")

    def close(self) -> None:
        self.sock.close()


def run_session(session: dict[str, Any], timeout: float) -> list[Any]:
    replies: list[Any] = []
    try:
        conn = Conn(session["host"], int(session["port"]), timeout)
    except OSError as exc:
        return [{"error": f"probe: cannot connect: {exc}"}]
    try:
        if session.get("auth"):
            reply = conn.call(["AUTH", *session["auth"]])
            replies.append(reply)
            if reply != "OK":
                return replies + [{"skipped": "AUTH failed"} for _ in session["commands"]]
        accepted = False
        for cmd in session["commands"]:
            if session.get("refused_only") and accepted:
                replies.append({"skipped": "an earlier command of this session was accepted"})
                continue
            reply = conn.call([str(a) for a in cmd])
            accepted = accepted or not (isinstance(reply, dict) and "error" in reply)
            replies.append(reply)
    except (OSError, EOFError, ValueError) as exc:
        replies.append({"error": f"probe: {type(exc).__name__}: {exc}"})
    finally:
        conn.close()
    return replies


def main() -> None:
    plan = json.load(sys.stdin)
    timeout = float(plan.get("timeout", 5))
    json.dump([run_session(s, timeout) for s in plan["sessions"]], sys.stdout)


if __name__ == "__main__":
    main()
