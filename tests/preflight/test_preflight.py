"""Preflight refusals: the playbooks stop before touching any host (issue 3 items 6-8).

Runs the real ``ansible-playbook hakit.redis.<name>`` against containers this module creates
(``hakit-preflight-node1``/``-node2`` on ``hakit-preflight``, 172.28.11.0/24) and removes, then
checks the exit code, the message and that the hosts are exactly as they were: no redis-server,
valkey-server or supervisor package, no /etc/redis, ``changed=0`` for every host in the recap.
Issue 16's refusals run on the release they are about: a node is Debian 12 (``HAKIT_IMAGE``) unless
a case puts it on Debian 13 (``HAKIT_TRIXIE_IMAGE``, ``scripts/bootstrap.sh image-trixie``).
``HAKIT_PREFLIGHT_NET=N`` moves the suite to ``hakit-preflightN`` on 172.28.N.0/24 (two runs side
by side).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hakit_support import changed_counts, docker

import hakit_collection

IMAGE = os.environ.get("HAKIT_IMAGE", "hakit/debian:bookworm")
IMAGES = {"bookworm": IMAGE, "trixie": os.environ.get("HAKIT_TRIXIE_IMAGE", "hakit/debian:trixie")}
_NET = os.environ.get("HAKIT_PREFLIGHT_NET", "11")
if not _NET.isdigit() or not 1 <= int(_NET) <= 254:
    raise SystemExit(f"HAKIT_PREFLIGHT_NET must be a number 1-254 (subnet 172.28.N.0/24), not {_NET!r}")
NETWORK = "hakit-preflight" if _NET == "11" else f"hakit-preflight{_NET}"
SUBNET = f"172.28.{_NET}.0/24"
NODES = {"node1": f"172.28.{_NET}.11", "node2": f"172.28.{_NET}.12"}
PASSWORD = "pre flight 'pw' #$:/"
SENTINEL_PASSWORD = 'sentinel "pw" \\ #$ é'


def container(node: str) -> str:
    return f"{NETWORK}-{node}"


def remove_all() -> None:
    for node in NODES:
        docker("rm", "-f", container(node), check=False)
    docker("network", "rm", NETWORK, check=False)


# Each node's Debian release: bookworm unless a test parametrizes ``releases`` ({node: release}).
@pytest.fixture
def releases() -> dict[str, str]:
    return {}


# Fresh containers for every test: a refusal that did change a host must not make the next test
# fail (or pass) for the wrong reason.
@pytest.fixture
def nodes(releases: dict[str, str]) -> Iterator[dict[str, str]]:
    if shutil.which("docker") is None:
        pytest.fail("docker CLI not found: scripts/bootstrap.sh installs and starts the engine")
    remove_all()  # left over by an interrupted run
    docker("network", "create", "--subnet", SUBNET, "--label", "hakit.scenario=preflight", NETWORK)
    try:
        for node, ip in NODES.items():
            docker(
                "run", "-d", "--init", "--cap-add", "NET_ADMIN", "--name", container(node),
                "--hostname", node, "--network", NETWORK, "--ip", ip,
                "--label", "hakit.scenario=preflight", IMAGES[releases.get(node, "bookworm")], "sleep", "infinity",
            )  # fmt: skip
        yield NODES
    finally:
        remove_all()


@pytest.fixture(scope="module")
def ansible_env() -> dict[str, str]:
    """The working tree as the collection hakit.redis (what scripts/env.sh does)."""
    return hakit_collection.ansible_env(ANSIBLE_HOST_KEY_CHECKING="False")


def inventory(
    tmp_path: Path,
    redis_hosts: list[str],
    password: str | None,
    sentinel_hosts: Sequence[str] = (),
    extra: dict[str, object] | None = None,
    sentinel_password: str | None = SENTINEL_PASSWORD,
    host_vars: dict[str, dict[str, object]] | None = None,
) -> Path:
    def line(n: str) -> str:
        return f"{n} ansible_host={container(n)}"

    lines = ["[redis]"] + [line(n) for n in redis_hosts]
    if sentinel_hosts:
        lines += ["", "[sentinel]"] + [line(n) for n in sentinel_hosts]
    lines += ["", "[all:vars]", "ansible_connection=community.docker.docker", "ansible_user=root"]
    path = tmp_path / "hosts.ini"
    path.write_text("\n".join(lines) + "\n")
    group_vars = dict(extra or {})
    if password is not None:
        group_vars["redis_password"] = password
    if sentinel_hosts and sentinel_password is not None:
        group_vars.setdefault("sentinel_password", sentinel_password)
    if group_vars:
        # YAML (JSON is YAML) group_vars: values need no INI escaping that way.
        (tmp_path / "group_vars").mkdir(exist_ok=True)
        (tmp_path / "group_vars" / "all.yml").write_text(json.dumps(group_vars) + "\n")
    for node, node_vars in (host_vars or {}).items():
        (tmp_path / "host_vars").mkdir(exist_ok=True)
        (tmp_path / "host_vars" / f"{node}.yml").write_text(json.dumps(node_vars) + "\n")
    return path


def run_playbook(name: str, inv: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [shutil.which("ansible-playbook") or "ansible-playbook", f"hakit.redis.{name}", "-i", str(inv), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=inv.parent,
        timeout=600,
        check=False,
    )
    print(f"\n--- ansible-playbook hakit.redis.{name} rc={res.returncode}\n{res.stdout[-4000:]}{res.stderr[-2000:]}")
    return res


def assert_untouched(res: subprocess.CompletedProcess[str], hosts: list[str], check_mode: bool = False) -> None:
    """No package, no /etc/redis on any host; and changed=0 in the recap, except for a --check run,
    whose 'changed' is what a real run would do."""
    recap = changed_counts(res.stdout)
    assert recap, "no PLAY RECAP in the output"
    if not check_mode:
        assert all(changed == 0 for changed in recap.values()), f"a host was changed: {recap}"
    for node in hosts:
        if docker("inspect", container(node), check=False).returncode != 0:
            continue  # a host the test made unreachable on purpose
        name = container(node)
        for pkg in ("redis-server", "valkey-server", "supervisor"):
            probe = docker("exec", name, "dpkg-query", "-W", "-f=${Status}", pkg, check=False)
            assert "install ok installed" not in probe.stdout, f"{pkg} was installed on {name}"
        assert docker("exec", name, "test", "-e", "/etc/redis", check=False).returncode != 0, (
            f"/etc/redis exists on {name}"
        )


@pytest.mark.parametrize("playbook", ["topology1", "site"])
def test_no_password_refused_before_any_change(playbook, nodes, ansible_env, tmp_path):
    inv = inventory(tmp_path, ["node1"], password=None)
    res = run_playbook(playbook, inv, ansible_env)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "redis_password" in out
    assert_untouched(res, ["node1"])


def test_topology1_refuses_two_redis_hosts(nodes, ansible_env, tmp_path):
    inv = inventory(tmp_path, ["node1", "node2"], password=PASSWORD)
    res = run_playbook("topology1", inv, ansible_env)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    # The shape message names the playbook and the group whose size is wrong.
    assert "topology1" in out
    assert "redis" in out
    assert_untouched(res, ["node1", "node2"])


# Each bad input: the playbook that would apply it, the inventory, and words the error must carry
# (the variable to fix). Two real hosts, so a refusal on one must also leave the other untouched.
BAD_INPUTS = {
    "even_sentinel_count": (
        "site",
        {"sentinel_hosts": ["node1", "node2"], "extra": {}},
        ["2 Sentinels", "sentinel_allow_even_count"],
    ),
    "quorum_larger_than_sentinels": (
        "site",
        {"sentinel_hosts": ["node1"], "extra": {"sentinel_quorum": 2}},
        ["sentinel_quorum is 2", "1 Sentinel"],
    ),
    "unknown_maxmemory_policy": (
        "site",
        {"sentinel_hosts": [], "extra": {"redis_maxmemory_policy": "evict-whatever"}},
        ["redis_maxmemory_policy"],
    ),
    "no_sentinel_password": (
        "site",
        {"sentinel_hosts": ["node1"], "sentinel_password": None},
        ["sentinel_password is not set", "sentinel_auth_enabled"],
    ),
    "open_sentinel_on_a_wildcard": (
        "site",
        {"sentinel_hosts": ["node1"], "extra": {"sentinel_auth_enabled": False, "sentinel_bind": ["0.0.0.0"]}},
        ["sentinel_auth_enabled is false", "sentinel_bind"],
    ),
    "reserved_user_name": (
        "site",
        {"sentinel_hosts": [], "extra": {"redis_users": [{"name": "hakit-check", "password": "x"}]}},
        ["redis_users", "hakit-check"],
    ),
    # Issue 13: a max-lag that lets an isolated master take writes after a promotion could have
    # completed (the old default 10 s against the default down-after of 5000 ms) ...
    "split_brain_window_max_lag": (
        "site",
        {"sentinel_hosts": ["node1"], "extra": {"redis_fencing": "replica", "redis_min_replicas_max_lag": 10}},
        [
            "redis_min_replicas_max_lag is 10",
            "sentinel_down_after_ms is 5000",
            "to 2 or less",
            "redis_split_brain_window_accepted",
        ],
    ),
    # ... or a down-after too short for any max-lag (the derived one is 1 s here).
    "split_brain_window_down_after": (
        "site",
        {"sentinel_hosts": ["node1"], "extra": {"redis_fencing": "replica", "sentinel_down_after_ms": 3000}},
        [
            "redis_min_replicas_max_lag is 1",
            "sentinel_down_after_ms is 3000",
            "raise sentinel_down_after_ms to 4000",
            "redis_split_brain_window_accepted",
        ],
    ),
    "fencing_by_sentinels_without_sentinels": (
        "site",
        {"sentinel_hosts": [], "extra": {"redis_fencing": "sentinels"}},
        ["redis_fencing is sentinels", "no Sentinel"],
    ),
    # Issue 12: a line break would add a line of its own to redis.conf; a key that is not a
    # directive name would not be the directive meant.
    "line_break_in_a_value": (
        "site",
        {"sentinel_hosts": [], "extra": {"redis_loglevel": "notice\nrequirepass x"}},
        ["A newline, carriage return or NUL character", "redis_loglevel"],
    ),
    "extra_setting_not_a_directive": (
        "site",
        {"sentinel_hosts": [], "extra": {"redis_extra_settings": {"maxmemory 1gb": "x"}}},
        ["redis_extra_settings", "not redis.conf directive names"],
    ),
    "vip_address_not_ipv4": (
        "topology4",
        {"sentinel_hosts": ["node1", "node2"], "extra": {"vip_address": "10.0.0", "sentinel_allow_even_count": True}},
        ["vip_address"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_refused_before_any_change(case, nodes, ansible_env, tmp_path):
    playbook, inv_args, words = BAD_INPUTS[case]
    inv = inventory(tmp_path, ["node1", "node2"], password=PASSWORD, **inv_args)
    res = run_playbook(playbook, inv, ansible_env)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    for word in words:
        assert word in out, f"the error does not say {word!r}"
    assert_untouched(res, ["node1", "node2"])


def test_unreachable_host_stops_the_run_before_any_change(nodes, ansible_env, tmp_path):
    """node2's container does not exist: the run names it and changes nothing on node1."""
    docker("rm", "-f", container("node2"))
    inv = inventory(tmp_path, ["node1", "node2"], password=PASSWORD, sentinel_hosts=["node1"])
    res = run_playbook("site", inv, ansible_env)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "Unreachable or unusable: node2" in out
    assert "Nothing was changed" in out
    assert_untouched(res, ["node1"])


# A first --check --diff on fresh hosts is how an operator previews a rollout: it must report what
# it would do (packages, files, programs) on every host and fail nowhere, and change nothing.
def test_first_check_on_fresh_hosts_reports_and_changes_nothing(nodes, ansible_env, tmp_path):
    # Any password works with Sentinels too (issue 12).
    inv = inventory(tmp_path, ["node1", "node2"], password="p@ss w0rd:#$/\"q'x\\y", sentinel_hosts=["node2"])
    res = run_playbook("topology2", inv, ansible_env, "--check", "--diff")
    assert res.returncode == 0, "a first --check on fresh hosts failed"
    recap = changed_counts(res.stdout)
    assert recap.get("node1", 0) > 0 and recap.get("node2", 0) > 0, f"--check reported nothing to do: {recap}"
    assert "would install: " in res.stdout
    assert_untouched(res, ["node1", "node2"], check_mode=True)


# Issue 13's opt-out: the same window-reopening values pass preflight once accepted explicitly.
def test_split_brain_window_accepted_explicitly(nodes, ansible_env, tmp_path):
    extra = {"redis_fencing": "replica", "redis_min_replicas_max_lag": 10, "redis_split_brain_window_accepted": True}
    inv = inventory(tmp_path, ["node1", "node2"], password=PASSWORD, sentinel_hosts=["node2"], extra=extra)
    res = run_playbook("topology2", inv, ansible_env, "--check")
    assert res.returncode == 0, "preflight refused a window the inventory accepted"
    assert "redis_min_replicas_max_lag is 10" not in res.stdout
    assert_untouched(res, ["node1", "node2"], check_mode=True)


# Issue 16: combinations that do not exist or cannot work, on the releases they are about. Each:
# the nodes' releases, the inventory, and words the error must carry (what to change).
ENGINE_CASES = {
    # Debian 12 packages Valkey in bookworm-backports only, which the roles do not enable.
    "valkey_on_bookworm": (
        {},
        {"extra": {"redis_engine": "valkey"}},
        ["redis_engine is valkey", "Debian 12 (bookworm)", "Valkey comes with Debian 13"],
    ),
    # The same for a Sentinel that is told to be Valkey's while Redis stays Redis.
    "valkey_sentinel_on_bookworm": (
        {},
        {"sentinel_hosts": ["node1"], "extra": {"sentinel_engine": "valkey"}},
        ["sentinel_engine is valkey", "Debian 12 (bookworm)", "Valkey comes with Debian 13"],
    ),
    # TLS has only been proven with Redis's user, paths and redis-cli (a release that has Valkey).
    "tls_with_valkey": (
        {"node1": "trixie", "node2": "trixie"},
        {"extra": {"redis_engine": "valkey", "redis_tls": True, "redis_tls_ca_file": "/nonexistent/ca.crt"}},
        ["redis_tls is on", "redis_engine valkey", "redis_engine: redis only"],
    ),
    # Host-by-host OS upgrade the wrong way round: Redis 8 on trixie (RDB 12) may become master,
    # Redis 7.0 on bookworm (RDB 10) could not follow it.
    "newer_redis_promotable_over_older": (
        {"node2": "trixie"},
        {},
        [
            "node2 (Redis 8.0 on Debian 13 (trixie), RDB 12) can become master",
            "node1 (Redis 7.0 on Debian 12 (bookworm), RDB 10)",
            "Upgrade node1 first",
            "redis_replica_priority: 0 on node2",
        ],
    ),
    # The host upgraded first is node1, redis_initial_master by default (a replica after a failover):
    # priority 0 is there already, so the message names redis_initial_master, not the priority.
    "upgraded_initial_master_kept_from_promotion": (
        {"node1": "trixie"},
        {"host_vars": {"node1": {"redis_replica_priority": 0}}},
        [
            "node1 (Redis 8.0 on Debian 13 (trixie), RDB 12) can become master",
            "node2 (Redis 7.0 on Debian 12 (bookworm), RDB 10)",
            "has redis_replica_priority: 0 already but is redis_initial_master",
            "set redis_initial_master to node2",
        ],
    ),
    # Redis 8 into Valkey 8.1 (RDB 12 into 11): no upgrade of the Valkey node helps.
    "redis_8_promotable_over_valkey": (
        {"node1": "trixie", "node2": "trixie"},
        {"host_vars": {"node1": {"redis_engine": "valkey"}}},
        [
            "node2 (Redis 8.0 on Debian 13 (trixie), RDB 12) can become master",
            "node1 (Valkey 8.1 on Debian 13 (trixie), RDB 11)",
            "Valkey 8 loads RDB 11 at most",
            "Redis 7.0 or 7.2 as the source",
        ],
    ),
}


@pytest.mark.parametrize(
    ("case", "releases"), [(c, ENGINE_CASES[c][0]) for c in sorted(ENGINE_CASES)], ids=sorted(ENGINE_CASES)
)
def test_engine_and_release_mixes_refused_before_any_change(case, releases, nodes, ansible_env, tmp_path):
    _releases, inv_args, words = ENGINE_CASES[case]
    inv = inventory(tmp_path, ["node1", "node2"], password=PASSWORD, **inv_args)
    res = run_playbook("site", inv, ansible_env)
    out = " ".join((res.stdout + res.stderr).split())  # the messages are folded YAML: one line each
    assert res.returncode != 0
    for word in words:
        assert word in out, f"the error does not say {word!r}"
    assert_untouched(res, ["node1", "node2"])


# The migration's opt-out (its switchover step, docs/platforms.md): the same mix passes preflight
# once accepted explicitly.
@pytest.mark.parametrize("releases", [{"node2": "trixie"}], ids=["node2_on_trixie"])
def test_mixed_formats_accepted_explicitly(releases, nodes, ansible_env, tmp_path):
    inv = inventory(tmp_path, ["node1", "node2"], password=PASSWORD, extra={"redis_mixed_formats_accepted": True})
    res = run_playbook("preflight", inv, ansible_env)
    assert res.returncode == 0, "preflight refused a mix the inventory accepted"
    assert "can become master" not in res.stdout
    assert_untouched(res, ["node1", "node2"])


# What a host-by-host OS upgrade runs with until every node is on trixie (docs/platforms.md): the
# upgraded host at priority 0 and, when it is the first of group redis, redis_initial_master moved.
@pytest.mark.parametrize("releases", [{"node1": "trixie"}], ids=["node1_on_trixie"])
def test_upgraded_host_kept_from_promotion_passes(releases, nodes, ansible_env, tmp_path):
    inv = inventory(
        tmp_path, ["node1", "node2"], password=PASSWORD,
        host_vars={"node1": {"redis_replica_priority": 0}}, extra={"redis_initial_master": "node2"},
    )  # fmt: skip
    res = run_playbook("preflight", inv, ansible_env)
    assert res.returncode == 0, f"preflight refused the documented upgrade step: {res.stdout[-3000:]}"
    assert "can become master" not in res.stdout
    assert_untouched(res, ["node1", "node2"])
