"""The cluster fixture of sentinel_cluster.py for this scenario's test modules."""

from __future__ import annotations

from sentinel_cluster import cluster  # noqa: F401
