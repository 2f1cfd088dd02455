"""Preflight filters of issue 12: which variables hold a line break, which values keepalived or
supervisor could not read back; names only, never a value."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.hakit.redis.plugins.filter.injection import unsafe_keys
from ansible_collections.hakit.redis.plugins.filter.keepalived_conf import keepalived_problems, keepalived_value
from ansible_collections.hakit.redis.plugins.filter.supervisor_conf import supervisor_problems

SECRET = "hunter2-secret"


def test_clean_variables_give_nothing() -> None:
    assert unsafe_keys({"redis_password": "p@ss w0rd:#$/\"q'x\\y", "redis_port": 6379, "x": None, "y": True}) == []


@pytest.mark.parametrize("brk", ["\n", "\r", "\0"])
def test_each_line_break_is_found_and_named(brk: str) -> None:
    found = unsafe_keys(
        {
            "redis_password": SECRET + brk,
            "redis_extra_settings": {"maxmemory": "1mb", "masteruser": "a" + brk, "bad" + brk + "key": "x"},
            "redis_users": [
                {"name": "app", "passwords": ["ok", SECRET + brk], "rules": "~app:* +@read"},
                {"name": "x" + brk, "password": "ok"},
            ],
            "sentinel_bind": ["127.0.0.1", "10.0.0.1" + brk],
            "redis_port": 6379,
        }
    )
    assert found[0] == "redis_password"
    assert "redis_extra_settings.masteruser" in found
    assert any(f.startswith("redis_extra_settings[") and f.endswith("(the key)") for f in found)
    assert "redis_users[0].passwords[1]" in found and "redis_users[1].name" in found
    assert "sentinel_bind[1]" in found and len(found) == 6
    assert not any(SECRET in f for f in found)


def test_keys_that_are_not_plain_words_are_quoted() -> None:
    assert unsafe_keys({"v": {"a b": "x\n"}}) == ["v['a b']"]


def test_unsafe_keys_wants_a_dict() -> None:
    with pytest.raises(AnsibleFilterError, match="dict of variable name"):
        unsafe_keys(["redis_password"])


def test_keepalived_problems_name_each_bad_value() -> None:
    found = keepalived_problems(
        {
            "vip_address": ["ipv4", "10.0.0.300"],
            "vip_prefix": ["int", "24"],
            "vip_advert_int": ["decimal", "0.2 }"],
            "vip_interface": ["interface", "eth0"],
            "peers": ["ipv4", ["10.0.0.1", "10.0.0.2\n"]],
        }
    )
    assert found == [
        "vip_address: not an IPv4 address (a dotted quad such as 192.0.2.10)",
        "vip_advert_int: not a number such as 1 or 0.2 (digits and one '.')",
        "peers[1]: not an IPv4 address (a dotted quad such as 192.0.2.10)",
    ]


@pytest.mark.parametrize(
    "kind, value, written",
    [("int", 7, "7"), ("int", "07", "7"), ("decimal", 0.2, "0.2"), ("ipv4", "10.0.0.1", "10.0.0.1")],
)
def test_keepalived_value_writes_valid_values(kind: str, value: object, written: str) -> None:
    assert keepalived_value(value, kind, "v") == written


@pytest.mark.parametrize("kind, value", [("int", True), ("int", "1\n"), ("interface", "eth0\n"), ("word", "a b")])
def test_keepalived_value_refuses_by_name(kind: str, value: object) -> None:
    with pytest.raises(AnsibleFilterError, match=r"^the_var is "):
        keepalived_value(value, kind, "the_var")


def test_supervisor_problems_never_show_the_value() -> None:
    found = supervisor_problems({"redis_dir": ["value", SECRET + " ;x"], "env": ["environment", {"T": SECRET + "\n"}]})
    assert len(found) == 2 and not any(SECRET in f for f in found)


def test_an_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(AnsibleFilterError, match="unknown supervisor value kind 'path'"):
        supervisor_problems({"x": ["path", "/a"]})
    with pytest.raises(AnsibleFilterError, match="unknown keepalived value kind 'text'"):
        keepalived_problems({"x": ["text", "a"]})
