"""tests/hakit_support.py: recap parsing and polling that says why it timed out."""

from __future__ import annotations

import pytest
from hakit_support import changed_counts, parse_recap, poll

OUTPUT = """
PLAY RECAP *********************************************************************
node1                      : ok=3    changed=1    unreachable=0    failed=0    skipped=0
PLAY RECAP *********************************************************************
localhost                  : ok=1    changed=0    unreachable=0    failed=0    skipped=0
node1                      : ok=80   changed=0    unreachable=0    failed=0    skipped=49
node2                      : ok=73   changed=2    unreachable=1    failed=1    skipped=48
"""


def test_parse_recap_reads_the_last_recap() -> None:
    assert parse_recap(OUTPUT)["node2"] == {"ok": 73, "changed": 2, "unreachable": 1, "failed": 1}
    assert changed_counts(OUTPUT) == {"localhost": 0, "node1": 0, "node2": 2}


def test_poll_returns_the_value_and_the_time() -> None:
    answers = iter([None, 0, "PONG"])
    value, seconds = poll(lambda: next(answers), timeout=5, interval=0.01)
    assert value == "PONG" and seconds >= 0


def test_poll_timeout_names_the_last_error() -> None:
    def probe() -> None:
        raise ConnectionError("refused")

    with pytest.raises(AssertionError, match=r"waiting for redis.*refused"):
        poll(probe, timeout=0.05, interval=0.01, what="redis", not_yet=(ConnectionError,))


def test_poll_does_not_swallow_unexpected_errors() -> None:
    with pytest.raises(ZeroDivisionError):
        poll(lambda: 1 / 0, timeout=1, interval=0.01)
