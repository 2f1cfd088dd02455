"""Shared by every suite under tests/: this directory on sys.path (pytest's default rootdir
insertion for a conftest.py), so each suite can `import hakit_collection`."""

from __future__ import annotations
