"""Test support shared by every suite: preflight, chaos, bench and the molecule verifiers.

- ``parse_recap``: the PLAY RECAP of an ansible-playbook run, per host;
- ``docker``: the docker CLI with captured output and a bound on time;
- ``poll``: wait until a probe returns something truthy, and on timeout say what the last probe
  returned or raised (a bare "timed out" hides why).

tests/conftest.py puts tests/ on sys.path for the pytest suites; the molecule verifier gets it on
PYTHONPATH from .config/molecule/config.yml.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from typing import Any

RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+"
    r"failed=(?P<failed>\d+)",
    re.M,
)


def parse_recap(stdout: str) -> dict[str, dict[str, int]]:
    """Host -> {ok, changed, unreachable, failed} from the last PLAY RECAP of a run's output."""
    tail = stdout.split("PLAY RECAP")[-1]
    return {m["host"]: {k: int(v) for k, v in m.groupdict().items() if k != "host"} for m in RECAP.finditer(tail)}


def changed_counts(stdout: str) -> dict[str, int]:
    """Host -> changed, from the last PLAY RECAP."""
    return {host: counts["changed"] for host, counts in parse_recap(stdout).items()}


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The docker CLI, output captured as text; CalledProcessError with check when it fails."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def poll(
    probe: Callable[[], Any],
    timeout: float,
    interval: float = 0.1,
    what: str = "the condition",
    not_yet: tuple[type[BaseException], ...] = (),
) -> tuple[Any, float]:
    """Call ``probe`` until it returns something truthy: (that value, seconds it took).

    Exceptions in ``not_yet`` count as "not yet" (a daemon still coming back). After ``timeout``
    an AssertionError names ``what`` and the last value or exception the probe gave.
    """
    start = time.monotonic()
    last: Any = None
    while True:
        try:
            last = probe()
            if last:
                return last, time.monotonic() - start
        except not_yet as exc:
            last = exc
        if time.monotonic() - start >= timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last probe: {last!r})")
        time.sleep(interval)
