"""Placeholder."""

from __future__ import annotations


def test_marker(host):
    assert host.file("/tmp/hakit-marker").exists
