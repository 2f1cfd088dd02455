"""Every role documents each default in meta/argument_specs.yml, and nothing else (STYLE #3)."""

from __future__ import annotations

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
