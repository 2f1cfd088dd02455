"""Every role documents each default in meta/argument_specs.yml, and nothing else (STYLE #3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"


def _defaults(role: Path) -> set[str]:
    data = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    return set(data)


def _spec(role: Path) -> dict:
    return yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]


@pytest.mark.parametrize("role", sorted(p for p in ROLES.iterdir() if (p / "defaults" / "main.yml").exists()), ids=str)
def test_defaults_and_spec_have_the_same_keys(role: Path) -> None:
    spec = _spec(role)
    undocumented = _defaults(role) - set(spec)
    assert not undocumented, f"{role.name}: defaults not in argument_specs.yml: {sorted(undocumented)}"
    # A spec-only option is one that is unset by default (e.g. vip_address): it must not claim a default.
    phantom = {k for k in set(spec) - _defaults(role) if "default" in spec[k]}
    assert not phantom, f"{role.name}: spec defaults missing from defaults/main.yml: {sorted(phantom)}"


@pytest.mark.parametrize("role", sorted(p for p in ROLES.iterdir() if (p / "meta").exists()), ids=str)
def test_every_option_is_described_and_typed(role: Path) -> None:
    for name, opt in _spec(role).items():
        assert opt.get("description"), f"{role.name}: {name} has no description"
        assert opt.get("type"), f"{role.name}: {name} has no type"
        assert name.startswith(role.name + "_"), f"{role.name}: {name} is not prefixed with the role name"


@pytest.mark.parametrize("role", sorted(p for p in ROLES.iterdir() if (p / "meta").exists()), ids=str)
def test_role_readme_documents_every_option(role: Path) -> None:
    readme = (role / "README.md").read_text()
    missing = [name for name in _spec(role) if name not in readme]
    assert not missing, f"{role.name}/README.md does not mention {missing}"


def _readme_table(role: Path) -> dict[str, str]:
    """The `## Variables` table of the role README: variable name -> default column.

    A row may document several variables in its first cell (`` `a` / `b` ``); each maps to the row's default cell.
    """
    text = (role / "README.md").read_text()
    section = text.split("\n## Variables", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and cells[0].startswith("`"):
            for name in re.findall(r"`([a-z0-9_]+)`", cells[0]):
                rows[name] = cells[1]
    return rows


@pytest.mark.parametrize("role", sorted(p for p in ROLES.iterdir() if (p / "meta").exists()), ids=str)
def test_readme_variable_table_matches_argument_specs(role: Path) -> None:
    """The README table lists exactly the argument_specs options, and `required` wherever the spec says so.

    The spec is the source of truth (ansible-doc and `make docs` render it); the table is the
    README's summary of it and must not drift: a renamed, added or removed option fails here.
    """
    spec = _spec(role)
    table = _readme_table(role)
    assert table, f"{role.name}/README.md has no `## Variables` table"
    assert not set(spec) - set(table), f"{role.name}/README.md table lacks {sorted(set(spec) - set(table))}"
    assert not set(table) - set(spec), f"{role.name}/README.md table has unknown {sorted(set(table) - set(spec))}"
    # A spec-required option has no default, so its row must say so (conditionally required ones,
    # e.g. a password unless auth is off, may say it too).
    for name, opt in spec.items():
        if opt.get("required"):
            assert "required" in table[name], f"{role.name}/README.md: {name} is required but its row does not say so"
