"""Render the roles' templates as Ansible does, with the collection's filters, for unit tests.

Ansible's own Templar renders them (trim_blocks, its filters and tests, FQCNs such as
hakit.redis.redis_conf_line), with the collection finder pointed at this tree; and the hostile
values the injection tests feed every config file (issue 12).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hakit_collection import REPO, link_collection

# Suites that import this module also import ansible_collections.hakit.redis directly.
link_collection()

# Values a user's inventory or vault may hold. Each must reach its file unchanged or be refused.
HOSTILE = [
    "p@ss w0rd:#$/\"q'x\\y",
    'say "hi"',
    "it's",
    "back\\slash",
    "\\x41 is not A",
    "#start",
    "end#",
    "a #b",
    "a ;b",
    ";semi",
    "$HOME ${X} $",
    "100% %s %(here)s %(program_name)s %%",
    "two  spaces",
    " lead",
    "trail ",
    "tab\there",
    "\v\f",
    "é ü 中文 \u00a0nbsp \u2028sep \u0085nel",
    "\x1b[0m\x7f",
    "'",
    '"',
    "",
]
# Always refused: they would start a new line of the file.
LINE_BREAKS = ["a\nb", "a\rb", "a\0b", "\n", "tail\n"]

_FINDER_INSTALLED = False


def install_collection_finder() -> None:
    """Let Ansible resolve hakit.redis.* and ansible.builtin.* plugins from this tree (once).

    Must run before anything imports ansible_collections (tests/unit/conftest.py does it).
    """
    global _FINDER_INSTALLED
    if _FINDER_INSTALLED:
        return
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    _AnsibleCollectionFinder(paths=[str(link_collection())])._install()
    _FINDER_INSTALLED = True


def render_string(source: str, variables: dict[str, Any]) -> str:
    """`source` rendered by Ansible's Templar with `variables`."""
    install_collection_finder()
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core < 2.19 trusts every string as a template (make test-matrix)

        def trust_as_template(value: str) -> str:
            return value

    return str(Templar(loader=DataLoader(), variables=variables).template(trust_as_template(source)))


def render_template(role: str, name: str, variables: dict[str, Any]) -> str:
    """roles/<role>/templates/<name> rendered with `variables` (ansible_managed provided)."""
    source = (REPO / "roles" / role / "templates" / name).read_text()
    return render_string(source, {"ansible_managed": "Ansible managed", **variables})


def template_path(role: str, name: str) -> Path:
    return REPO / "roles" / role / "templates" / name
