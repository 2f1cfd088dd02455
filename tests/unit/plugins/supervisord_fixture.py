"""A real supervisord (the venv's supervisor package) in a temporary directory, for the modules that
talk to its XML-RPC socket: the same server the roles run, not a fake of it. The `supervisord`
fixture (tests/unit/plugins/conftest.py) starts one per test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SUPERVISORD = Path(sys.executable).with_name("supervisord")


@dataclass
class Supervisord:
    root: Path
    config: Path
    socket: Path
    conf_dir: Path
    proc: subprocess.Popen[bytes] | None = None

    def program(self, name: str, command: str = "sleep 600", autostart: bool = True) -> str:
        return (
            f"[program:{name}]\ncommand={command}\nautostart={'true' if autostart else 'false'}\n"
            "autorestart=false\nstartsecs=0\nstopwaitsecs=2\n"
        )

    def write_program(self, name: str, **kwargs: object) -> Path:
        path = self.conf_dir / f"{name}.conf"
        path.write_text(self.program(name, **kwargs))  # type: ignore[arg-type]
        return path

    def start(self) -> None:
        # Its own process group: stop() kills it and its programs at once (a clean shutdown waits
        # for supervisord's one-second loop, a second per test).
        self.proc = subprocess.Popen(
            [str(SUPERVISORD), "-n", "-c", str(self.config)], stdout=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 15
        while not self.socket.exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"supervisord did not start: {(self.root / 'supervisord.log').read_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)
        self.socket.unlink(missing_ok=True)

    def ctl(self, *args: str) -> str:
        out = subprocess.run(
            [str(SUPERVISORD.with_name("supervisorctl")), "-c", str(self.config), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip()


def make_supervisord() -> Supervisord:
    # A short path: a unix socket's name is limited to ~107 bytes.
    root = Path(tempfile.mkdtemp(prefix="hakit-sv-", dir="/tmp"))
    conf_dir = root / "conf.d"
    conf_dir.mkdir()
    sock = root / "s.sock"
    config = root / "supervisord.conf"
    config.write_text(
        f"[unix_http_server]\nfile={sock}\nchmod=0700\n\n"
        f"[supervisord]\nlogfile={root}/supervisord.log\npidfile={root}/supervisord.pid\nchildlogdir={root}\n\n"
        "[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
        f"[supervisorctl]\nserverurl=unix://{sock}\n\n[include]\nfiles = {conf_dir}/*.conf\n"
    )
    return Supervisord(root=root, config=config, socket=sock, conf_dir=conf_dir)


def wait_state(sv: Supervisord, name: str, state: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while state not in sv.ctl("status", name):
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} not {state}: {sv.ctl('status', name)}")
        time.sleep(0.05)
