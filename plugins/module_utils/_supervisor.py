# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""supervisord's XML-RPC interface over its unix socket, for the daemon and supervisor_program modules.

The modules used to spawn ``supervisorctl`` (a Python process of its own, ~0.3 s) for each status,
start, restart, signal or update; this talks to the socket directly (~0.01 s a call) with the same
semantics: ``update`` mirrors ``supervisorctl update NAME``, ``restart`` is stop then start.
Standard library only, so it runs wherever the modules run.
"""

from __future__ import annotations

import configparser
import hashlib
import http.client
import os
import socket
import time
import xmlrpc.client
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ansible.module_utils.basic import AnsibleModule

DEFAULT_SOCKET = "/var/run/supervisor.sock"
# supervisor.xmlrpc.Faults
BAD_NAME = 10
ALREADY_STARTED = 60
NOT_RUNNING = 70
ALREADY_ADDED = 90
STILL_RUNNING = 91
RUNNING_STATES = ("RUNNING", "STARTING")


class SupervisorError(Exception):
    """A call supervisord answered with a fault, or an answer that makes no sense."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class Unreachable(SupervisorError):
    """No supervisord behind the socket (no socket file, or nobody accepts on it)."""


def socket_path(config_path: str) -> str:
    """The socket supervisorctl would use: [supervisorctl] serverurl=unix://..., else [unix_http_server] file."""
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read(config_path, encoding="utf-8")
    except configparser.Error:
        return DEFAULT_SOCKET
    url = parser.get("supervisorctl", "serverurl", fallback="").strip()
    path = url[len("unix://") :] if url.startswith("unix://") else parser.get("unix_http_server", "file", fallback="")
    # The role's template doubles '%' for supervisor's own expansion.
    return path.strip().replace("%%", "%") or DEFAULT_SOCKET


def stale_pidfile(config_path: str) -> str | None:
    """supervisord's pid file when it names no supervisord (a leftover from before a restart of the
    host or container whose /run survived), else None. Debian's init script trusts the file and
    refuses to start supervisord while that pid is any live process."""
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read(config_path, encoding="utf-8")
    except configparser.Error:
        return None
    path = parser.get("supervisord", "pidfile", fallback="/var/run/supervisord.pid").strip().replace("%%", "%")
    try:
        with open(path, encoding="utf-8") as handle:
            pid = handle.read().strip()
    except OSError:
        return None
    try:
        with open(f"/proc/{int(pid)}/cmdline", "rb") as handle:
            alive_as = handle.read()
    except (OSError, ValueError):
        return path  # no such process, or garbage: stale either way
    return None if b"supervisord" in alive_as else path


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError as exc:
            sock.close()
            raise Unreachable(f"supervisord does not answer on {self.path}: {exc}") from exc
        self.sock = sock


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__()
        self.path = path
        self.timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        return _UnixConnection(self.path, self.timeout)


class Supervisor:
    """The few supervisord calls the roles need; every fault becomes SupervisorError with its code."""

    def __init__(self, path: str, timeout: float = 120.0) -> None:
        self.path = path
        self._proxy = xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=_UnixTransport(path, timeout))

    def call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._proxy.supervisor, method)(*args)
        except xmlrpc.client.Fault as exc:
            raise SupervisorError(f"supervisor.{method}{args}: {exc.faultString}", exc.faultCode) from exc
        except Unreachable:
            raise
        except (OSError, http.client.HTTPException, xmlrpc.client.ProtocolError) as exc:
            raise Unreachable(f"supervisord does not answer on {self.path}: {exc}") from exc

    def state(self, name: str) -> str | None:
        """RUNNING, STOPPED, FATAL, ...; None when supervisord does not know the program."""
        try:
            return str(self.call("getProcessInfo", name)["statename"])
        except SupervisorError as exc:
            if exc.code == BAD_NAME:
                return None
            raise

    def start(self, name: str) -> bool:
        """Start and wait until RUNNING (startsecs); False when it already ran."""
        try:
            self.call("startProcess", name, True)
        except SupervisorError as exc:
            if exc.code == ALREADY_STARTED:
                return False
            raise
        return True

    def stop(self, name: str) -> bool:
        try:
            self.call("stopProcess", name, True)
        except SupervisorError as exc:
            if exc.code == NOT_RUNNING:
                return False
            raise
        return True

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    def signal(self, name: str, signal: str) -> bool:
        """Send a signal; False when the program is not running (nothing to signal)."""
        try:
            self.call("signalProcess", name, signal)
        except SupervisorError as exc:
            if exc.code == NOT_RUNNING:
                return False
            raise
        return True

    def update(self, name: str) -> bool:
        """`supervisorctl update NAME`: re-read the config and add, replace or remove that group only."""
        added, changed, removed = self.call("reloadConfig")[0]
        if name in removed or name in changed:
            self.call("stopProcessGroup", name, True)
            self.call("removeProcessGroup", name)
        if name in added or name in changed:
            self.call("addProcessGroup", name)
        return name in added or name in changed or name in removed


def connect(module: AnsibleModule, name: str) -> tuple[Supervisor, str | None, bool]:
    """The client, the program's state (None: unknown to supervisord), and whether supervisord had to
    be started first. Uses the module's config_path and service options; check mode never starts it."""
    client = Supervisor(socket_path(module.params["config_path"]))
    try:
        return client, client.state(name), False
    except Unreachable as exc:
        if module.check_mode:
            return client, "STOPPED", False
        first_error = str(exc)
    service = module.params["service"]
    rc, out, err = module.run_command(["service", service, "start"])
    stale = stale_pidfile(module.params["config_path"]) if rc != 0 else None
    if stale:
        # The init script said "already running" for a pid that is not supervisord: remove, retry once.
        os.unlink(stale)
        module.warn(f"removed {stale}, a stale supervisord pid file that kept `service {service} start` from working")
        rc, out, err = module.run_command(["service", service, "start"])
    if rc != 0:
        module.fail_json(msg=f"{first_error}; `service {service} start` failed: {(err or out).strip()}")
    deadline = time.monotonic() + 30
    while True:
        try:
            return client, client.state(name), True
        except Unreachable as exc:
            if time.monotonic() > deadline:
                module.fail_json(msg=f"supervisord started but did not answer within 30 s: {exc}")
            time.sleep(0.3)


def programs_state(conf_dir: str, config_path: str) -> dict[str, dict[str, str]]:
    """Every program file's SHA-1 and its program's state (``unreachable`` while supervisord does not
    answer); reads only, never starts supervisord. SupervisorError when supervisord answers an error."""
    try:
        names = sorted(f[: -len(".conf")] for f in os.listdir(conf_dir) if f.endswith(".conf"))
    except FileNotFoundError:
        names = []
    states: dict[str, str] = {}
    default = "unknown"
    if names:
        try:
            client = Supervisor(socket_path(config_path))
            states = {str(p["name"]): str(p["statename"]) for p in client.call("getAllProcessInfo")}
        except Unreachable:
            default = "unreachable"
    programs = {}
    for name in names:
        try:
            with open(os.path.join(conf_dir, f"{name}.conf"), encoding="utf-8") as handle:
                content = handle.read()
        except FileNotFoundError:
            content = ""
        programs[name] = {"sha1": hashlib.sha1(content.encode("utf-8")).hexdigest(), "state": states.get(name, default)}
    return programs
