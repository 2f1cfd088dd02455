"""Daemons run by hand on loopback for the unit tests that load a rendered file into the real thing.

Ports come from 29000-29999 (the range kept for tests run by hand); every daemon is stopped by
its own pid when the test ends.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

PORTS = range(29000, 30000)


def free_port() -> int:
    """A loopback TCP port of 29000-29999 nothing listens on."""
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 29000-29999")


def have(binary: str) -> bool:
    return shutil.which(binary) is not None


@contextlib.contextmanager
def daemon(argv: list[str], port: int, log: Path, timeout: float = 10.0) -> Iterator[subprocess.Popen[bytes]]:
    """Start `argv`, wait until 127.0.0.1:`port` accepts, yield the process, then stop it.

    If the process exits first, RuntimeError carries its log (so a refused config file says why).
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {proc.returncode}: {log.read_text(errors='replace')}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} did not listen on {port} within {timeout}s")
            time.sleep(0.02)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run_to_exit(argv: list[str], timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    """Run a command that exits by itself (a config test); output captured."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
