"""The benchmark and the chaos lab only run in `make bench` / `make chaos`: at least make sure they
import, so a refactor of the shared test helpers cannot break them unseen (it did once)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hakit_bench", REPO / "bench" / "bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_imports() -> None:
    assert callable(_bench().main)


def test_first_true_records_each_probe_when_it_first_holds() -> None:
    """The partition figures rely on it: a probe that holds early is timed early, not after the others."""
    bench = _bench()
    t0 = time.time()
    seen = bench.first_true({"now": lambda: True, "later": lambda: time.time() - t0 > 0.3}, timeout=5, interval=0.05)
    assert seen["now"] - t0 < 0.2
    assert seen["later"] - t0 >= 0.3


def test_first_true_names_what_never_held() -> None:
    with pytest.raises(AssertionError, match="never"):
        _bench().first_true({"ok": lambda: True, "never": lambda: False}, timeout=0.2, interval=0.05)
