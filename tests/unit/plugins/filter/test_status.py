"""status_table: the health table as an operator reads it."""

from __future__ import annotations

from ansible_collections.hakit.redis.plugins.filter.status import status_table

HEALTHY = {
    "healthy": True,
    "problems": [],
    "master": {"host": "10.0.0.11", "port": 6379, "role_confirmed": True},
    "replicas": [{"host": "10.0.0.12", "port": 6379, "link_status": "up", "offset_lag_bytes": 0, "last_io_seconds": 1}],
    "sentinels": [
        {"address": f"10.0.0.1{i}:26379", "reachable": True, "ckquorum_ok": True, "master": "10.0.0.11:6379"}
        for i in (1, 2, 3)
    ],
    "quorum": {"configured": 2, "reachable": 3, "total": 3, "ok": True},
    "vip": {"address": "10.0.0.100", "holder_role": "master", "ok": True},
}


def test_healthy_table() -> None:
    rows = status_table(HEALTHY)
    assert rows[0].split() == ["ROLE", "ADDRESS", "LINK", "LAG", "SENTINEL", "VIEW"]
    assert rows[1].split() == ["master", "10.0.0.11:6379", "role", "ok", "-", "3", "of", "3", "name", "it"]
    assert rows[2].split() == ["replica", "10.0.0.12:6379", "up", "0", "B", "/", "1", "s"]
    assert rows[-3:] == [
        "quorum 2: 3 of 3 Sentinels up, failover possible",
        "VIP 10.0.0.100 answers as master (ok)",
        "healthy",
    ]


def test_unhealthy_lists_problems_and_unknowns() -> None:
    result = {
        "healthy": False,
        "problems": ["quorum unknown: 0 of 1 sentinels up"],
        "master": {"host": None},
        "replicas": [],
        "sentinels": [{"address": "10.0.0.11:26379", "reachable": False}],
        "quorum": {"configured": None, "reachable": 0, "total": 1, "ok": False},
    }
    rows = status_table(result)
    assert rows[1].split()[:3] == ["master", "unknown", "NOT"]
    assert rows[2].split() == ["sentinel", "10.0.0.11:26379", "unreachable", "-", "-"]
    assert rows[-2:] == ["PROBLEMS:", "  - quorum unknown: 0 of 1 sentinels up"]
