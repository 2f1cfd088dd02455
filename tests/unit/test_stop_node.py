"""playbooks/tasks/stop_node.yml (hakit.redis.remove_node, issue 14): the daemons it stops and
unregisters on a host leaving the deployment, rendered from the tasks themselves with the roles'
constants: every daemon the roles may run there, the optional helpers (fence watchdog, exporter,
VIP metric writer) included, each under the manager and the name the roles use, helpers first.
The chaos suite proves the supervisor side on a real lab (test_remove_the_added_replica_then_rerun).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hakit_collection import REPO

STOP_NODE = REPO / "playbooks" / "tasks" / "stop_node.yml"


def render(value: Any, variables: dict[str, Any]) -> Any:
    """value templated by Ansible's Templar, native types kept (a list stays a list)."""
    if not isinstance(value, str):
        return value
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core < 2.19 trusts every string as a template

        def trust_as_template(value: str) -> str:
            return value

    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(value))


def set_fact(path: Path, name: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The facts the set_fact task `name` of `path` sets, its own task vars rendered first."""
    task = next(t for t in yaml.safe_load(path.read_text()) if t.get("name") == name)
    local = dict(variables)
    for key, value in (task.get("vars") or {}).items():
        local[key] = render(value, local)
    return {key: render(value, local) for key, value in task["ansible.builtin.set_fact"].items()}


def constants(role: str, *files: str) -> dict[str, Any]:
    """A role's plain constants (vars/main.yml and the given vars files; templated ones left out)."""
    out: dict[str, Any] = {}
    for name in ("main.yml", *files):
        loaded = yaml.safe_load((REPO / "roles" / role / "vars" / name).read_text()) or {}
        out |= {k: v for k, v in loaded.items() if not (isinstance(v, str) and "{{" in v)}
    return out


def daemons(service_mgr: str, engine: str, redis: bool, sentinel: bool) -> list[tuple[str, str]]:
    """(name, manager) of each daemon stop_node.yml stops, in its order, as remove_node computes them."""
    host: dict[str, Any] = {
        "ansible_service_mgr": service_mgr,
        "redis_service_manager": "auto",
        "sentinel_service_manager": "auto",
        "exporter_service_manager": "auto",
        "__stop_redis": redis,
        "__stop_sentinel": sentinel,
    }
    facts = dict(host)
    if redis:
        variables = host | constants("redis", f"engine-{engine}.yml")
        facts |= set_fact(REPO / "roles/redis/tasks/vars.yml", "Name this host's redis-server for its service manager",
                          variables)  # fmt: skip
    if sentinel:
        variables = host | constants("sentinel", f"engine-{engine}.yml")
        facts |= set_fact(REPO / "roles/sentinel/tasks/vars.yml", "Name this host's Sentinel for its service manager",
                          variables)  # fmt: skip
    facts |= set_fact(REPO / "roles/exporter/tasks/vars.yml",
                      "Name this host's exporter and VIP metric writer for their service manager",
                      host | constants("exporter"))  # fmt: skip
    listed = set_fact(STOP_NODE, "List the daemons with their managers", facts)["__stop_daemons"]
    return [(d["name"], d["manager"]) for d in listed]


def names(service_mgr: str, engine: str, redis: bool, sentinel: bool) -> list[str]:
    return [name for name, _manager in daemons(service_mgr, engine, redis, sentinel)]


HELPERS = ["hakit-redis-fence", "hakit-vip-metric", "prometheus-redis-exporter"]


@pytest.mark.parametrize(("service_mgr", "manager"), [("sysvinit", "supervisor"), ("systemd", "systemd")])
def test_a_redis_and_sentinel_host_stops_the_helpers_first(service_mgr: str, manager: str) -> None:
    got = daemons(service_mgr, "redis", redis=True, sentinel=True)
    assert got == [(name, manager) for name in ["keepalived", *HELPERS, "redis-server", "redis-sentinel"]]


def test_valkey_units_under_systemd_and_the_redis_program_names_under_supervisor() -> None:
    """The helpers keep their names on both engines; the servers' units are Valkey's under systemd."""
    systemd = names("systemd", "valkey", redis=True, sentinel=True)
    assert systemd == ["keepalived", *HELPERS, "valkey-server", "valkey-sentinel"]
    supervisor = names("sysvinit", "valkey", redis=True, sentinel=True)
    assert supervisor == ["keepalived", *HELPERS, "redis-server", "redis-sentinel"]


@pytest.mark.parametrize("service_mgr", ["sysvinit", "systemd"])
def test_a_sentinel_only_host_stops_its_exporter_and_sentinel(service_mgr: str) -> None:
    """No keepalived, watchdog or VIP writer there (the roles put them on redis hosts only)."""
    got = names(service_mgr, "redis", redis=False, sentinel=True)
    assert got == ["prometheus-redis-exporter", "redis-sentinel"]
