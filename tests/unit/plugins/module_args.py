"""``patch_module_args`` for every supported ansible-core (make test-matrix).

ansible-core 2.19 ships ``ansible.module_utils.testing.patch_module_args``; 2.18 has no such
helper, and its AnsibleModule reads the JSON in ``basic._ANSIBLE_ARGS``, which the fallback sets.

Either way the module runs as on a managed host: since 2.19, once any test has loaded controller
code (the template tests' Templar), ``ansible.module_utils._internal.is_controller`` is true and
``module.warn()`` goes to the controller's display instead of the result's ``warnings``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args as _core_patch
except ImportError:  # ansible-core < 2.19
    _core_patch = None

try:
    from ansible.module_utils import _internal
except ImportError:  # ansible-core < 2.19
    _internal = None


@contextlib.contextmanager
def patch_module_args(args: dict[str, Any] | None = None) -> Iterator[None]:
    """Expose `args` to the AnsibleModule instances created within this context, as on a managed host."""
    with contextlib.ExitStack() as stack:
        if _internal is not None and hasattr(_internal, "is_controller"):
            stack.enter_context(mock.patch.object(_internal, "is_controller", False))
        if _core_patch is not None:
            stack.enter_context(_core_patch(args))
        else:
            data = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
            stack.enter_context(mock.patch.object(basic, "_ANSIBLE_ARGS", data))
        yield


__all__ = ["patch_module_args"]
