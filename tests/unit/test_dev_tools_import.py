"""The benchmark and the chaos lab only run in `make bench` / `make chaos`: at least make sure they
import, so a refactor of the shared test helpers cannot break them unseen (it did once)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_imports() -> None:
    spec = importlib.util.spec_from_file_location("hakit_bench", REPO / "bench" / "bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.main)
