# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hakit-redis-fence: refuses writes on a master that a majority of the Sentinels does not name.

redis_fencing: sentinels (issue 13, docs/fencing.md). Every `interval` seconds it asks the local
redis-server for its role and, on a master, asks every configured Sentinel which node is master.
When a strict majority of ALL configured Sentinels (not only of those that answered) has not named
this node for longer than `grace` seconds, it fences: CONFIG SET min-replicas-to-write to FENCE, a
number no replica count reaches, so Redis answers every write with NOREPLICAS. It unfences (the
configured value again) only once a majority names this node again. On a replica it restores the
configured value (Sentinel's CONFIG REWRITE may have written a fenced value into redis.conf when it
demoted this node, so it rewrites the file then). It never touches a value other than FENCE: that
one is the role's, which may have changed it before this watchdog re-read its settings.

The state lives in Redis, not here: a restarted watchdog finds a fenced master fenced, and gives a
master it cannot confirm the grace once more before fencing. Python standard library only; the
settings (passwords included) come from a JSON file readable by its user, re-read when it changes
(a password rotation), never from the command line.

Settings: redis {host, port, user, passwords[]}, self "ip:port" (as the Sentinels name it),
sentinels ["ip:port", ...], sentinel_user, sentinel_passwords[], master_name,
min_replicas_to_write (the configured value), interval, grace, promotion_grace (the grace of a
master this watchdog saw as a replica: the Sentinels need a few seconds to agree on it), timeout.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import ssl
import sys
import threading
import time
from typing import Any

# min-replicas-to-write while fenced: more replicas than any deployment has.
FENCE = 1000000


class RespError(Exception):
    """An error reply from the server."""


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
        return stream.read(size + 2)[:-2].decode(errors="replace")
    if kind == b"*":
        size = int(body)
        return None if size < 0 else [_read_reply(stream) for _index in range(size)]
    raise ConnectionError(f"unexpected reply {line[:20]!r}")


@functools.lru_cache(maxsize=4)
def tls_context(ca: str, cert: str, key: str) -> ssl.SSLContext:
    """redis_tls: the server verified against the CA (host names unchecked, as Redis's own links),
    the host's certificate presented (tls-auth-clients yes). Cached: the files are re-read on restart."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    context.check_hostname = False
    if cert:
        context.load_cert_chain(cert, key or None)
    return context


def query(
    address: str, commands: list[list[str]], user: str, passwords: list[str], timeout: float, tls: Any = None
) -> list[Any]:
    """Runs `commands` on one connection, logged in as `user` with the first password that works
    (a rotation keeps two valid); replies in order. `tls`: settings {ca, cert, key} or None.
    Raises OSError (ssl.SSLError included) or RespError."""
    host, port = address.rsplit(":", 1)
    last: Exception = RespError("no password")
    for password in passwords or [""]:
        with socket.create_connection((host, int(port)), timeout=timeout) as raw:
            sock = tls_context(tls["ca"], tls.get("cert", ""), tls.get("key", "")).wrap_socket(raw) if tls else raw
            sock.settimeout(timeout)
            auth = [["AUTH", user, password]] if password else []
            sock.sendall(b"".join(_encode(c) for c in auth + commands))
            stream = sock.makefile("rb")
            try:
                for _command in auth:
                    _read_reply(stream)
            except RespError as exc:
                last = exc
                continue
            return [_read_reply(stream) for _command in commands]
    raise last


def named_master(votes: dict[str, list[str]], total: int) -> str | None:
    """The address more than half of `total` Sentinels name. The collection's rule
    (plugins/module_utils/_ha.py named_master) with every configured Sentinel counted, answered or not."""
    for address, voters in votes.items():
        if len(voters) * 2 > total:
            return address
    return None


def sentinel_votes(cfg: dict[str, Any]) -> dict[str, list[str]]:
    """{master address: [Sentinels naming it]}, all Sentinels asked at once (one thread each)."""
    votes: dict[str, list[str]] = {}
    lock = threading.Lock()

    def ask(sentinel: str) -> None:
        try:
            command = ["SENTINEL", "get-master-addr-by-name", cfg["master_name"]]
            user, passwords = cfg.get("sentinel_user", ""), cfg.get("sentinel_passwords", [])
            reply = query(sentinel, [command], user, passwords, cfg["timeout"], cfg.get("tls"))[0]
        except (OSError, RespError, ValueError):
            return
        if isinstance(reply, list) and len(reply) == 2:
            with lock:
                votes.setdefault(f"{reply[0]}:{reply[1]}", []).append(sentinel)

    threads = [threading.Thread(target=ask, args=(s,), daemon=True) for s in cfg["sentinels"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(cfg["timeout"] * 3)
    with lock:
        return {k: list(v) for k, v in votes.items()}


def log(msg: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} hakit-redis-fence: {msg}", flush=True)


class Fence:
    """One watchdog: `step()` is one check; `run()` loops. Time and the network are injectable."""

    def __init__(self, cfg: dict[str, Any], clock: Any = time.monotonic,
                 votes: Any = sentinel_votes, redis: Any = None) -> None:  # fmt: skip
        self.cfg = cfg
        self.clock = clock
        self.votes = votes
        self.redis = redis or self._redis
        self.confirmed_at = clock()  # a (re)started watchdog gives the master the grace once more
        self.was_master: bool | None = None

    def _redis(self, commands: list[list[str]]) -> list[Any]:
        r = self.cfg["redis"]
        return query(
            f"{r['host']}:{r['port']}", commands, r["user"], r["passwords"], self.cfg["timeout"], self.cfg.get("tls")
        )

    def _set(self, value: int, rewrite: bool) -> None:
        commands = [["CONFIG", "SET", "min-replicas-to-write", str(value)]]
        self.redis(commands + ([["CONFIG", "REWRITE"]] if rewrite else []))

    def step(self) -> str:
        """One check; returns what it did: fenced, unfenced, restored, confirmed, unconfirmed, replica."""
        wanted = int(self.cfg["min_replicas_to_write"])
        role, current = self.redis([["ROLE"], ["CONFIG", "GET", "min-replicas-to-write"]])
        now_value = int(current[1]) if isinstance(current, list) and len(current) == 2 else wanted
        # Only the fence value is the watchdog's: any other value is the role's (a run that changed
        # min-replicas-to-write before this watchdog re-read its settings, or removed it) and stays.
        if not role or role[0] != "master":
            self.confirmed_at = self.clock()
            self.was_master = False
            if now_value == FENCE:
                self._set(wanted, rewrite=True)  # a demoted, fenced master: Sentinel's rewrite kept FENCE
                log(f"replica: min-replicas-to-write back to {wanted}")
                return "restored"
            return "replica"
        if self.was_master is False:
            # Just promoted: the Sentinels other than the leader learn the new master from its hello
            # messages (every 2 s), so a majority may name it only seconds later. Only a majority of
            # the Sentinels promotes, so this longer grace opens no window for a minority master.
            self.confirmed_at = self.clock() + float(self.cfg["promotion_grace"]) - float(self.cfg["grace"])
        self.was_master = True
        named = named_master(self.votes(self.cfg), len(self.cfg["sentinels"]))
        if named == self.cfg["self"]:
            self.confirmed_at = self.clock()
            if now_value == FENCE:
                self._set(wanted, rewrite=True)
                log(f"a majority of the Sentinels names this master again: unfenced (min-replicas-to-write {wanted})")
                return "unfenced"
            return "confirmed"
        if now_value != FENCE and self.clock() - self.confirmed_at > float(self.cfg["grace"]):
            self._set(FENCE, rewrite=False)
            log(f"no majority of the {len(self.cfg['sentinels'])} Sentinels names this master (they name "
                f"{named or 'no one'}): fenced, writes refused (min-replicas-to-write {FENCE})")  # fmt: skip
            return "fenced"
        return "unconfirmed"

    def run(self, path: str) -> None:
        mtime = os.stat(path).st_mtime
        while True:
            started = time.monotonic()
            try:
                if os.stat(path).st_mtime != mtime:  # a password rotation rewrote the settings
                    mtime = os.stat(path).st_mtime
                    self.cfg = load(path)
                self.step()
            except (OSError, RespError, ValueError) as exc:
                # The local Redis is down or restarting: nothing to fence; the check resumes with it.
                log(f"check failed: {type(exc).__name__}: {exc}")
                time.sleep(1)
            time.sleep(max(0.0, float(self.cfg["interval"]) - (time.monotonic() - started)))


def load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        cfg = json.load(fh)
    cfg.setdefault("interval", 0.5)
    cfg.setdefault("grace", 1.0)
    cfg.setdefault("timeout", 0.3)
    cfg.setdefault("promotion_grace", 5.0)
    return cfg  # type: ignore[no-any-return]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: hakit-redis-fence SETTINGS.json", file=sys.stderr)
        return 2
    cfg = load(argv[1])
    log(f"watching {cfg['self']} against {len(cfg['sentinels'])} Sentinels every {cfg['interval']} s, "
        f"grace {cfg['grace']} s")  # fmt: skip
    Fence(cfg).run(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
