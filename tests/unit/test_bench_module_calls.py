"""bench/callback_plugins/hakit_module_calls.py: what counts as a remote module call, fed fake results."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cb() -> ModuleType:
    return _load("hakit_bench_module_calls", REPO / "bench" / "callback_plugins" / "hakit_module_calls.py")


def item(n: int, **kw: object) -> dict[str, object]:
    # What a callback sees of a loop item: _ansible_item_result is stripped, ansible_loop_var stays.
    return {"item": n, "ansible_loop_var": "item", "changed": False, **kw}


def test_a_plain_remote_result_is_one_call(cb: ModuleType) -> None:
    assert cb.module_runs("node1", "ansible.builtin.command", {"rc": 0}) == [("node1", 1)]
    assert cb.module_runs("node1", "hakit.redis.redis_config", {"changed": False}) == [("node1", 1)]
    assert cb.module_runs("node1", "gather_facts", {"ansible_facts": {}}) == [("node1", 1)]


@pytest.mark.parametrize(
    "action",
    ["set_fact", "ansible.builtin.assert", "ansible.legacy.debug", "fail", "meta", "ansible.builtin.include_tasks",
     "include_role", "import_tasks", "import_role", "add_host", "group_by", "validate_argument_spec",
     "ansible.builtin.include_vars"],
)  # fmt: skip
def test_controller_side_actions_are_not_counted(cb: ModuleType, action: str) -> None:
    assert cb.module_runs("node1", action, {"changed": False}) == []


def test_skipped_results_and_items_are_not_counted(cb: ModuleType) -> None:
    assert cb.module_runs("node1", "ansible.builtin.command", {"skipped": True}) == []
    loop = {"changed": False, "results": [item(1), item(2, skipped=True), item(3)]}
    assert cb.module_runs("node1", "ansible.builtin.file", loop) == [("node1", 1), ("node1", 1)]


def test_every_until_attempt_counts(cb: ModuleType) -> None:
    assert cb.module_runs("node1", "ansible.builtin.command", {"attempts": 3}) == [("node1", 3)]
    loop = {"results": [item(1, attempts=2), item(2)]}
    assert cb.module_runs("node1", "ansible.builtin.command", loop) == [("node1", 2), ("node1", 1)]


def test_a_module_returning_a_results_list_is_not_a_loop(cb: ModuleType) -> None:
    assert cb.module_runs("node1", "ansible.builtin.package", {"results": ["installed foo"]}) == [("node1", 1)]


def test_delegated_to_the_controller_is_not_counted(cb: ModuleType) -> None:
    local = {"_ansible_delegated_vars": {"ansible_host": "localhost", "ansible_connection": "local"}}
    assert cb.module_runs("node1", "ansible.builtin.uri", local, delegate_to="localhost") == []
    conn_local = {"_ansible_delegated_vars": {"ansible_host": "ctl", "ansible_connection": "local"}}
    assert cb.module_runs("node1", "ansible.builtin.uri", conn_local, delegate_to="ctl") == []
    assert cb.module_runs("node1", "ansible.builtin.uri", {}, connection="local") == []
    assert cb.module_runs("localhost", "ansible.builtin.uri", {}) == []


def test_delegated_to_another_managed_host_counts_for_that_host(cb: ModuleType) -> None:
    res = {"_ansible_delegated_vars": {"ansible_host": "hakit-chaos-node3", "ansible_connection": "docker"}}
    assert cb.module_runs("node1", "ansible.builtin.command", res, delegate_to="node3") == [("node3", 1)]
    # An untemplated delegate_to ("{{ runner }}") falls back to the delegated address.
    got = cb.module_runs("node1", "ansible.builtin.command", res, delegate_to="{{ runner }}")
    assert got == [("hakit-chaos-node3", 1)]


class _Host:
    def __init__(self, name: str) -> None:
        self.name = name

    def get_name(self) -> str:
        return self.name


def _result(host: str, action: str, result: dict[str, object], old_api: bool = False, **task: object) -> object:
    t = SimpleNamespace(action=action, delegate_to=task.get("delegate_to"), connection=task.get("connection", "ssh"))
    if old_api:  # ansible-core < 2.19: only the underscored attributes
        return SimpleNamespace(_host=_Host(host), _task=t, _result=result)
    return SimpleNamespace(host=_Host(host), task=t, result=result)


def test_the_callback_sums_per_host_and_writes_json(
    cb: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "calls.json"
    monkeypatch.setenv(cb.OUTPUT_ENV, str(out))
    c = cb.CallbackModule()
    c.v2_runner_on_ok(_result("node1", "ansible.builtin.command", {"rc": 0}))
    c.v2_runner_on_ok(_result("node1", "ansible.builtin.set_fact", {"ansible_facts": {}}))
    c.v2_runner_on_ok(_result("node1", "ansible.builtin.file", {"results": [item(1), item(2)]}, old_api=True))
    c.v2_runner_on_failed(_result("node2", "ansible.builtin.command", {"rc": 1}), ignore_errors=True)
    c.v2_runner_on_ok(_result("node3", "ansible.builtin.assert", {}))
    c.v2_runner_on_ok(_result("localhost", "ansible.builtin.assert", {}))  # a controller play: not a host row
    c.v2_playbook_on_stats(None)
    data = json.loads(out.read_text())
    assert data["per_host"] == {"node1": 3, "node2": 1, "node3": 0}
    assert data["per_host_action"]["node1"] == {"ansible.builtin.command": 1, "ansible.builtin.file": 2}
    assert data["controller_side"] == {"localhost": 1, "node1": 1, "node3": 1}


def test_without_the_env_var_nothing_is_written(cb: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cb.OUTPUT_ENV, raising=False)
    c = cb.CallbackModule()
    c.v2_runner_on_ok(_result("node1", "ansible.builtin.command", {"rc": 0}))
    c.v2_playbook_on_stats(None)  # no file, no error


def test_bench_parts_and_env() -> None:
    bench = _load("hakit_bench_parts", REPO / "bench" / "bench.py")
    assert bench.parse_parts("") == list(bench.PARTS)
    assert bench.parse_parts("all") == list(bench.PARTS)
    assert bench.parse_parts("partition, converge") == ["converge", "partition"]
    with pytest.raises(SystemExit, match="nodeloss"):
        bench.parse_parts("converge,nodeloss")
    env = bench.bench_env({"ANSIBLE_CALLBACKS_ENABLED": "timer"}, Path("/tmp/x.json"))
    assert env["ANSIBLE_CALLBACKS_ENABLED"] == "timer,ansible.posix.profile_tasks,hakit_module_calls"
    assert env["ANSIBLE_CALLBACK_PLUGINS"].endswith("bench/callback_plugins")
    assert env["HAKIT_BENCH_MODULE_CALLS"] == "/tmp/x.json"
