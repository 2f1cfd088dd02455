"""The exporter role under redis_tls (issue 15): its targets, flags, files and preflight refusals.

The role's own expressions (vars/main.yml, defaults/main.yml, the set_fact of tasks/configure.yml
and the checks of tasks/preflight.yml) are rendered by Ansible's Templar with an inventory's
values: plaintext keeps redis://127.0.0.1 and no TLS flag; TLS dials rediss:// on the announce
addresses with the CA, and the client certificate only when one is presented.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hakit_templates import install_collection_finder

from hakit_collection import REPO

ROLE = REPO / "roles" / "exporter"
# The preflight's value check holds '\s' in Jinja string literals (exporter_extra_args without
# whitespace), which Jinja's lexer decodes with a DeprecationWarning; Ansible renders it the same.
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")


def _trusted(value: Any) -> Any:
    """YAML values as Ansible's loader gives them: templates in strings are rendered when used."""
    install_collection_finder()
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core < 2.19 trusts every string
        return value
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


def _load(path: str) -> Any:
    return yaml.safe_load((ROLE / path).read_text())


def _task(path: str, name: str) -> dict[str, Any]:
    return next(t for t in _load(path) if t["name"] == name)


def _render(source: str, variables: dict[str, Any]) -> Any:
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    return Templar(loader=DataLoader(), variables=_trusted(variables)).template(_trusted(source))


def _vars(tls_dir: Path, **over: Any) -> dict[str, Any]:
    """A redis + Sentinel host of a TLS inventory (TLS off with redis_tls=False)."""
    return {
        **_load("defaults/main.yml"),
        **_load("vars/main.yml"),
        "inventory_hostname": "redis-1",
        "ansible_host": "10.0.0.11",
        "redis_announce_ip": "10.0.0.11",
        "sentinel_announce_ip": "10.0.0.11",
        "redis_password": "secret",
        "sentinel_password": "secret2",
        "redis_tls": True,
        "redis_tls_auth_clients": "yes",
        "redis_tls_ca_file": str(tls_dir / "ca.crt"),
        "exporter_enabled": True,
        "__exporter_has_redis": True,
        "__exporter_has_sentinel": True,
        "__exporter_vip": "",
        "__exporter_service_manager": "supervisor",
        **over,
    }


@pytest.fixture
def tls_dir(tmp_path: Path) -> Path:
    for name in ("ca.crt", "redis-1.crt", "redis-1.key"):
        (tmp_path / name).write_text("PEM\n")
    return tmp_path


def _passwords(variables: dict[str, Any]) -> dict[str, str]:
    task = _task("tasks/configure.yml", "Build the exporter's passwords")
    return _render(task["ansible.builtin.set_fact"]["__exporter_passwords"], variables)


def _args(variables: dict[str, Any]) -> list[str]:
    facts = _task("tasks/configure.yml", "Build the exporter's command line")["ansible.builtin.set_fact"]
    return _render(facts["__exporter_args"], {**variables, "__exporter_passwords": _passwords(variables)})


def _problem(variables: dict[str, Any]) -> str:
    task = _task("tasks/preflight.yml", "Check the exporter values")
    return str(_render("{{ __exporter_problem | default('', true) }}", {**variables, **task["vars"]})).strip()


def test_plaintext_is_unchanged(tls_dir: Path) -> None:
    variables = _vars(tls_dir, redis_tls=False)
    args = _args(variables)
    assert "-redis.addr=redis://127.0.0.1:6379" in args
    assert not [a for a in args if a.startswith("-tls")], args
    assert set(_passwords(variables)) == {"redis://127.0.0.1:6379", "redis://127.0.0.1:26379"}
    assert _render("{{ __exporter_sentinel_uri }}", variables) == "redis://127.0.0.1:26379"
    assert _problem(variables) == ""


def test_tls_with_client_certificates_required(tls_dir: Path) -> None:
    variables = _vars(tls_dir)
    args = _args(variables)
    assert "-redis.addr=rediss://10.0.0.11:6379" in args
    assert "-tls-ca-cert-file=/etc/prometheus/redis-exporter-ca.crt" in args
    assert "-tls-client-cert-file=/etc/prometheus/redis-exporter.crt" in args
    assert "-tls-client-key-file=/etc/prometheus/redis-exporter.key" in args
    # The password file's keys are the URIs the exporter dials, the Sentinel's (/scrape?target=) included.
    assert set(_passwords(variables)) == {"rediss://10.0.0.11:6379", "rediss://10.0.0.11:26379"}
    assert _render("{{ __exporter_sentinel_uri }}", variables) == "rediss://10.0.0.11:26379"
    assert _problem(variables) == ""


@pytest.mark.parametrize("auth", ["no", "optional", False])
def test_tls_without_required_client_certificates_presents_none(tls_dir: Path, auth: object) -> None:
    args = _args(_vars(tls_dir, redis_tls_auth_clients=auth))
    assert "-tls-ca-cert-file=/etc/prometheus/redis-exporter-ca.crt" in args
    assert not [a for a in args if a.startswith("-tls-client")], args


def test_tls_client_certificate_on_request_with_optional(tls_dir: Path) -> None:
    args = _args(_vars(tls_dir, redis_tls_auth_clients="optional", exporter_tls_client_cert=True))
    assert "-tls-client-key-file=/etc/prometheus/redis-exporter.key" in args


def test_sentinel_only_host_scrapes_its_sentinel_over_tls(tls_dir: Path) -> None:
    variables = _vars(
        tls_dir, __exporter_has_redis=False, redis_announce_ip="10.0.0.13", sentinel_announce_ip="10.0.0.13"
    )
    assert "-redis.addr=rediss://10.0.0.13:26379" in _args(variables)
    assert set(_passwords(variables)) == {"rediss://10.0.0.13:26379"}


@pytest.mark.parametrize(
    ("over", "expected"),
    [
        ({"exporter_tls_client_cert": False}, "while redis_tls_auth_clients is yes"),
        ({"exporter_tls_client_cert": "maybe"}, "Invalid exporter_tls_client_cert on redis-1"),
        ({"redis_tls_ca_file": ""}, "redis_tls_ca_file (empty)"),
        ({"redis_tls_cert_file": "/nowhere/redis-1.crt"}, "/nowhere/redis-1.crt"),
        ({"redis_bind": ["127.0.0.1"]}, "Add 10.0.0.11 to redis_bind"),
        ({"sentinel_auth_enabled": False}, "Add 10.0.0.11 to sentinel_bind"),
        ({"sentinel_bind": ["127.0.0.1"]}, "Add 10.0.0.11 to sentinel_bind"),
    ],
)
def test_tls_refusals(tls_dir: Path, over: dict[str, Any], expected: str) -> None:
    problem = _problem(_vars(tls_dir, **over))
    assert expected in problem, problem


def test_tls_refusals_do_not_apply_to_plaintext(tls_dir: Path) -> None:
    variables = _vars(
        tls_dir, redis_tls=False, redis_tls_ca_file="", sentinel_auth_enabled=False, exporter_tls_client_cert=False
    )
    assert _problem(variables) == ""
