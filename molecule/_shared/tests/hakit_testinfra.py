"""Shared pytest-testinfra fixtures and helpers for the hakit.redis molecule scenarios.

Loaded as a pytest plugin by the verifier settings in ``.config/molecule/config.yml``
(``PYTEST_PLUGINS=hakit_testinfra`` with this directory on ``PYTHONPATH``), so each scenario only
holds its ``tests/test_*.py``.

Secrets stay out of process lists: redis-cli gets the password through ``REDISCLI_AUTH``, never
``-a``. Measured figures are printed as ``HAKIT-MEASURE name=value`` lines so they can be grepped
out of molecule's log.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from hakit_support import poll

# The engine's client in the containers: valkey-cli where the scenario runs Valkey (HAKIT_ENGINE,
# its molecule.yml's verifier env), which reads REDISCLI_AUTH as redis-cli does.
REDIS_CLI = "valkey-cli" if os.environ.get("HAKIT_ENGINE") == "valkey" else "redis-cli"
# What a probe raises while the daemon is still coming back (connection refused, LOADING, a
# testinfra check_output on a command that fails, an int() of empty output): "not yet".
NOT_YET = (redis.RedisError, OSError, ValueError, AssertionError)


@dataclass(frozen=True)
class CliResult:
    """Result of one redis-cli call inside a container."""

    rc: int
    stdout: str
    stderr: str

    @property
    def out(self) -> str:
        return self.stdout.strip()


def redis_cli(
    host: Any,
    *args: str,
    password: str | None = None,
    port: int = 6379,
    address: str = "127.0.0.1",
) -> CliResult:
    """Run redis-cli inside ``host`` (a testinfra host).

    The password goes into the environment of redis-cli only (a shell assignment, so it is not
    in redis-cli's argv); ``--no-auth-warning`` keeps stderr clean.
    """
    cmd = [REDIS_CLI, "--no-auth-warning", "-h", address, "-p", str(port), *args]
    line = " ".join(shlex.quote(a) for a in cmd)
    if password is not None:
        line = f"REDISCLI_AUTH={shlex.quote(password)} {line}"
    # testinfra's run() would log the command line; the password must not reach the log.
    res = host.backend.run(line)
    return CliResult(res.rc, res.stdout, res.stderr)


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> float:
    """Poll ``predicate`` until it is true; return the seconds it took, fail after ``timeout`` with
    what the last attempt returned or raised."""
    try:
        return poll(predicate, timeout, interval, getattr(predicate, "__name__", "the condition"), NOT_YET)[1]
    except AssertionError as exc:
        pytest.fail(str(exc))


def measure(name: str, value: float, unit: str = "s") -> None:
    """Print one measured figure in a grep-able form (pytest runs with -s / -rA)."""
    print(f"\nHAKIT-MEASURE {name}={value:.2f}{unit}")


def host_address(host: Any) -> str:
    """First global IPv4 address of the container (the scenario network's fixed address)."""
    out = host.check_output("ip -4 -o addr show scope global")
    for line in out.splitlines():
        fields = line.split()
        if "inet" in fields:
            return fields[fields.index("inet") + 1].split("/")[0]
    raise AssertionError(f"no global IPv4 address on {host}: {out!r}")


@pytest.fixture(scope="module")
def hostvars(host: Any) -> dict[str, Any]:
    """The host's variables as the molecule inventory defines them."""
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def redis_password(hostvars: dict[str, Any]) -> str:
    return str(hostvars["redis_password"])


@pytest.fixture(scope="module")
def redis_port(hostvars: dict[str, Any]) -> int:
    return int(hostvars.get("redis_port", 6379))


@pytest.fixture(scope="module")
def announce_ip(host: Any) -> str:
    return host_address(host)


@pytest.fixture
def cli(host: Any, redis_password: str, redis_port: int) -> Callable[..., CliResult]:
    """``cli("PING")``: redis-cli on the host's loopback, authenticated."""

    def _cli(*args: str, auth: bool = True, address: str = "127.0.0.1") -> CliResult:
        return redis_cli(host, *args, password=redis_password if auth else None, port=redis_port, address=address)

    return _cli
