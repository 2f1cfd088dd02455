"""Fixtures of the chaos suite: one topology-4 lab of containers per session (tests/chaos/chaoslab.py).

`pytest tests/chaos -m fast` (make test) runs the fast subset; `HAKIT_CHAOS_ALL=1 pytest tests/chaos`
(make chaos) runs everything. Without either, only the fast tests run and the rest are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from chaoslab import Lab, log


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fast: the chaos subset `make test` runs (pytest -m fast)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("HAKIT_CHAOS_ALL") == "1" or config.getoption("markexpr"):
        return
    skip = pytest.mark.skip(reason="slow chaos test: HAKIT_CHAOS_ALL=1 (make chaos) runs it")
    for item in items:
        if "fast" not in item.keywords:
            item.add_marker(skip)


# Session scope: test_faults.py and test_security.py share one topology-4 lab (one converge, which
# test_security.py's scans also look at). test_topology3.py, collected after them, builds its own
# two-node lab on the same addresses: its Lab.create() removes this one's containers first, and the
# teardown here then finds nothing left to remove.
@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """Network, containers, inventory in a temp dir, hakit.redis.topology4; all removed at the end.
    The converge runs with -vvv while the process lists of the nodes are sampled (issue 12)."""
    the_lab = Lab(tmp_path_factory.mktemp("chaos-lab"))
    try:
        the_lab.create()
        with the_lab.ps.during("converge", the_lab.nodes):
            res = the_lab.playbook(verbose="the first converge")
        if res.rc != 0:
            pytest.fail(f"hakit.redis.topology4 failed (rc {res.rc}):\n{res.output[-6000:]}")
        master = the_lab.wait_invariant(timeout=180)
        the_lab.wait_replicas_synced(master)
        the_lab.ha_check()
        log(f"lab ready, master {master}")
        yield the_lab
    finally:
        Lab.destroy()


@pytest.fixture
def healthy(lab: Lab) -> Iterator[Lab]:
    """Starts each test from a healthy lab and checks, after it, that the test restored the lab:
    the invariant holds and hakit.redis.ha_check reports healthy. A test that failed half way is
    repaired first (nodes started, partitions removed, daemons resumed) so the next one starts clean."""
    master = lab.wait_invariant(timeout=180)
    lab.wait_replicas_synced(master)
    yield lab
    ok, _ = lab.invariant()
    if not ok:
        lab.repair()
    master = lab.wait_invariant(timeout=180)
    lab.wait_replicas_synced(master)
    lab.ha_check()
