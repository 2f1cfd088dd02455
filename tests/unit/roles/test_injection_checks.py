"""Each role's preflight refuses a line break in every one of its variables (issue 12).

The lists in the `# --- Injection checks (issue 12) ---` blocks are written out by hand; this
keeps them complete: a variable added to a role's defaults or argument specs must be added to its
check (or it could carry a newline into a config file unnoticed).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"
MARKER = "# --- Injection checks (issue 12) ---"
CHECKED = ["redis", "sentinel", "vip", "supervisor", "exporter"]


def _role_variables(role: Path) -> set[str]:
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    spec = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    return set(defaults) | set(spec)


def _checked_variables(role: Path) -> set[str]:
    tasks = yaml.safe_load((role / "tasks" / "preflight.yml").read_text())
    unsafe = f"__{role.name}_unsafe"
    for task in tasks:
        expression = (task.get("vars") or {}).get(unsafe)
        if expression:
            return set(re.findall(r"'(\w+)':", expression))
    raise AssertionError(f"{role.name}: no task of tasks/preflight.yml defines {unsafe}")


@pytest.mark.parametrize("name", CHECKED)
def test_every_variable_of_the_role_is_checked_for_line_breaks(name: str) -> None:
    role = ROLES / name
    missing = _role_variables(role) - _checked_variables(role)
    assert not missing, f"add {sorted(missing)} to the line-break check at the end of roles/{name}/tasks/preflight.yml"
    unknown = _checked_variables(role) - _role_variables(role)
    assert not unknown, f"roles/{name}/tasks/preflight.yml checks variables the role does not have: {sorted(unknown)}"


@pytest.mark.parametrize("name", CHECKED)
def test_the_checks_close_the_preflight(name: str) -> None:
    text = (ROLES / name / "tasks" / "preflight.yml").read_text()
    assert MARKER in text, f"roles/{name}/tasks/preflight.yml has no '{MARKER}' block"
    after = yaml.safe_load("---\n" + text.split(MARKER, 1)[1]) or []
    assert all(task["ansible.builtin.assert"] for task in after), "only assertions follow the marker"
