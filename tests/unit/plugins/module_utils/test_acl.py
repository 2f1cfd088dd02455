"""ACL file parsing and reconciliation of a running server's users (fake client)."""

from __future__ import annotations

import pytest

from ansible_collections.hakit.redis.plugins.module_utils import _acl

H1 = "a" * 64
H2 = "b" * 64
FILE = f"""user default on sanitize-payload #{H1} ~* &* +@all

user hakit-check on sanitize-payload #{H2} -@all +ping +info +role
"""


class FakeServer:
    """Stores users as the rules it was given (no normalisation): enough to test the plan."""

    def __init__(self, users: dict[str, list[str]]) -> None:
        self.users = dict(users)
        self.sent: list[tuple[str, ...]] = []

    def execute_command(self, *args: str) -> object:
        self.sent.append(args)
        if args[:2] == ("ACL", "LIST"):
            return [" ".join(["user", n, *r]) for n, r in self.users.items()]
        if args[:2] == ("ACL", "SETUSER"):
            rules = list(args[3:])
            if rules[:1] == ["reset"]:
                rules = rules[1:]
            if "bad" in rules:
                raise RuntimeError("ERR Error in ACL SETUSER modifier 'bad': Syntax error")
            self.users[args[2]] = rules
            return "OK"
        if args[:2] == ("ACL", "DELUSER"):
            self.users.pop(args[2], None)
            return 1
        raise AssertionError(args)


def test_parse_keeps_order_and_skips_blank_lines() -> None:
    users = _acl.parse(FILE)
    assert [u[0] for u in users] == ["default", "hakit-check"]
    assert users[1][1][-3:] == ["+ping", "+info", "+role"]


@pytest.mark.parametrize("text", ["# comment\n", "usr x on\n", "user\n", "user bad\u00e9name on\n"])
def test_parse_refuses_what_redis_would_refuse(text: str) -> None:
    with pytest.raises(_acl.AclError) as info:
        _acl.parse(text)
    assert "line 1" in str(info.value)


def test_summary_reads_on_off_and_hashes() -> None:
    assert _acl.summary(["on", f"#{H2}", f"#{H1}"]) == (True, (H1, H2))
    assert _acl.summary(["on", "off"]) == (False, ())


def test_reconcile_applies_and_reports_only_what_changed() -> None:
    server = FakeServer({"default": ["on", "sanitize-payload", f"#{H1}", "~*", "&*", "+@all"], "old": ["on"]})
    changed, pending = _acl.reconcile(server, _acl.parse(FILE), check_mode=False)
    assert (changed, pending) == (["hakit-check", "old"], [])
    assert "old" not in server.users
    # The second run sends the same SETUSERs and changes nothing.
    assert _acl.reconcile(server, _acl.parse(FILE), check_mode=False) == ([], [])


def test_reconcile_never_deletes_default() -> None:
    server = FakeServer({"default": ["on", "nopass"]})
    _acl.reconcile(server, [("app", ["on", f"#{H1}"])], check_mode=False)
    assert "default" in server.users


def test_check_mode_predicts_without_sending_changes() -> None:
    server = FakeServer({"default": ["on", "sanitize-payload", f"#{H2}", "~*", "&*", "+@all"]})
    changed, _pending = _acl.reconcile(server, _acl.parse(FILE), check_mode=True)
    assert changed == ["default", "hakit-check"]
    assert all(cmd[:2] == ("ACL", "LIST") for cmd in server.sent)


def test_refusal_names_the_command_without_password_material() -> None:
    server = FakeServer({})
    with pytest.raises(_acl.AclError) as info:
        _acl.reconcile(server, [("app", ["on", f"#{H1}", ">cleartext", "bad"])], check_mode=False)
    text = str(info.value)
    assert "ACL SETUSER app" in text and H1 not in text and "cleartext" not in text


def test_keep_holds_old_and_new_passwords_until_a_call_without_keep() -> None:
    """A rotation: H2 replaces H1 for default; the first step accepts both, the second only H2."""
    server = FakeServer({"default": ["on", "sanitize-payload", f"#{H1}", "~*", "&*", "+@all"], "gone": ["on"]})
    wanted = [("default", ["on", "sanitize-payload", f"#{H2}", "~*", "&*", "+@all"])]
    changed, pending = _acl.reconcile(server, wanted, check_mode=False, keep=True)
    assert changed == ["default"] and pending == ["default", "gone"]
    assert _acl.summary(server.users["default"]) == (True, tuple(sorted([H1, H2])))
    assert "gone" in server.users
    # Re-applied with keep: nothing new, still pending.
    assert _acl.reconcile(server, wanted, check_mode=False, keep=True) == ([], ["default", "gone"])
    changed, pending = _acl.reconcile(server, wanted, check_mode=False)
    assert changed == ["default", "gone"] and pending == []
    assert _acl.summary(server.users["default"]) == (True, (H2,))


def test_keep_adds_no_password_to_a_nopass_user() -> None:
    server = FakeServer({"default": ["on", f"#{H1}"]})
    _changed, pending = _acl.reconcile(server, [("default", ["on", "nopass"])], check_mode=False, keep=True)
    assert pending == [] and server.users["default"] == ["on", "nopass"]
