"""``patch_module_args`` for every supported ansible-core (make test-matrix).

ansible-core 2.19 ships ``ansible.module_utils.testing.patch_module_args``; 2.18 has no such
helper, and its AnsibleModule reads the JSON in ``basic._ANSIBLE_ARGS``, which this fallback sets.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args: dict[str, Any] | None = None) -> Iterator[None]:
        """Expose `args` to the AnsibleModule instances created within this context."""
        data = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", data):
            yield


__all__ = ["patch_module_args"]
