"""The working tree as the collection hakit.redis, for every pytest suite under tests/.

The repo is not inside an ansible_collections/hakit/redis tree; scripts/env.sh (for the shell and
molecule) and this module (for pytest) keep a symlink to it in .cache/collections, so a bare
`pytest tests/...` works without `source scripts/env.sh`. tests/conftest.py puts tests/ on
sys.path, which is how every suite imports this module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".cache" / "collections"

# What every ansible-playbook run of the suites needs: this tree as hakit.redis, plain text output.
_BASE_ENV = {
    "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
    "ANSIBLE_FORCE_COLOR": "0",
    "ANSIBLE_NOCOLOR": "1",
    # The repo's ansible.cfg (pipelining): the suites run from temporary directories, where
    # Ansible would not find it by itself.
    "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
}


def link_collection() -> Path:
    """Create the .cache link (once) and make ansible_collections.hakit.redis importable."""
    link = COLLECTIONS / "ansible_collections" / "hakit" / "redis"
    if not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO)
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    return COLLECTIONS


def ansible_env(**extra: str) -> dict[str, str]:
    """os.environ plus what ansible-playbook needs to find this tree as hakit.redis."""
    link_collection()
    return {**os.environ, **_BASE_ENV, **extra}
