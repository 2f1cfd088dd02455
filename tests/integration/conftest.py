"""Fixtures of the real-process tests; the helpers live in _lab.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from _lab import Cluster, Lab


def debian_python3_redis() -> bool:
    """Whether the system Python imports Debian's python3-redis."""
    python = Path("/usr/bin/python3")
    if not python.exists():
        return False
    return subprocess.run([python, "-c", "import redis"], capture_output=True, check=False).returncode == 0


@pytest.fixture(scope="session")
def redis_binaries() -> None:
    """redis-server, redis-sentinel and Debian's python3-redis (what managed hosts run the modules
    with), installed from the Debian mirror when missing."""
    if shutil.which("redis-server") and shutil.which("redis-sentinel") and debian_python3_redis():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("redis-server, redis-sentinel or python3-redis missing; installing them needs root and apt")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # The distro services must not start on 6379: policy-rc.d normally prevents it in containers,
    # and RUNLEVEL=1 makes invoke-rc.d skip them elsewhere.
    env["RUNLEVEL"] = "1"
    for cmd in (
        ["apt-get", "-o", "DPkg::Lock::Timeout=300", "update"],
        [
            "apt-get",
            "-o",
            "DPkg::Lock::Timeout=300",
            "install",
            "-y",
            "--no-install-recommends",
            "redis-server",
            "redis-sentinel",
            "python3-redis",
        ],
    ):
        subprocess.run(cmd, check=True, env=env, timeout=600, stdout=subprocess.DEVNULL)


@pytest.fixture
def lab(redis_binaries: None, tmp_path: Path) -> Iterator[Lab]:
    """An empty lab; whatever the test starts is killed afterwards."""
    the_lab = Lab(tmp_path)
    try:
        yield the_lab
    finally:
        the_lab.close()


@pytest.fixture
def cluster(lab: Lab) -> Cluster:
    """A cluster the test may break."""
    return Cluster(lab)


@pytest.fixture(scope="module")
def healthy_cluster(redis_binaries: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One cluster shared by the read-only tests of a module (saves a 5 s Sentinel discovery each)."""
    shared = Lab(tmp_path_factory.mktemp("shared"))
    try:
        yield Cluster(shared)
    finally:
        shared.close()
