"""Make the checkout importable as ansible_collections.hakit.redis for the plugin unit tests.

The repo is not inside an ansible_collections/hakit/redis tree; scripts/env.sh keeps a symlink
to it in .cache/collections, created here too so that a bare `pytest tests/unit` works.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / ".cache" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "hakit" / "redis"

if not LINK.is_symlink():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(REPO)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
