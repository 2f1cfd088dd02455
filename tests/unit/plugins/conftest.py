"""Make the checkout importable as ansible_collections.hakit.redis for the plugin unit tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from supervisord_fixture import SUPERVISORD, Supervisord, make_supervisord, wait_state

from hakit_collection import link_collection

link_collection()


@pytest.fixture
def supervisord() -> Iterator[Supervisord]:
    """A running supervisord with one program, `sleeper`, RUNNING."""
    if not SUPERVISORD.exists():
        pytest.fail(f"{SUPERVISORD} missing: the venv lacks the supervisor package (requirements.txt)")
    sv = make_supervisord()
    sv.write_program("sleeper")
    sv.start()
    try:
        wait_state(sv, "sleeper", "RUNNING")
        yield sv
    finally:
        sv.stop()
        shutil.rmtree(sv.root, ignore_errors=True)
