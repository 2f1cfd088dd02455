"""keepalived.conf.j2 (issue 12): every value checked for its kind, so none can add a line, a
block or a comment; the file is read back token by token and, where keepalived is installed (or
HAKIT_KEEPALIVED names its binary), checked with `keepalived -t -f`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hakit_templates import HOSTILE, LINE_BREAKS, render_template

from hakit_collection import REPO

ROLE = REPO / "roles" / "vip"
_DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
DEFAULTS = {k: v for k, v in _DEFAULTS.items() if not (isinstance(v, str) and "{{" in v)}
CONSTANTS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
KEEPALIVED = os.environ.get("HAKIT_KEEPALIVED") or shutil.which("keepalived")

# variable -> (the template variable it feeds, a valid value)
VALUES: dict[str, Any] = {
    "vip_address": "10.0.0.100",
    "vip_prefix": 24,
    "vip_virtual_router_id": 51,
    "vip_advert_int": 0.2,
    "vip_check_interval": 1,
    "vip_check_timeout": 3,
    "vip_check_fall": 2,
    "vip_check_rise": 1,
    "vip_garp_master_refresh": 10,
    "__vip_iface": "eth0",
    "__vip_self_ip": "10.0.0.11",
}
# The name each template variable is reported under.
REPORTED = {"__vip_iface": "vip_interface", "__vip_self_ip": "vip_announce_ip"}


def _vars(**over: Any) -> dict[str, Any]:
    base = {**DEFAULTS, **CONSTANTS, **VALUES, "inventory_hostname": "redis-1", "__vip_peers": ["10.0.0.12"]}
    return {**base, **over}


def _render(**over: Any) -> str:
    return render_template("vip", "keepalived.conf.j2", _vars(**over))


def tokens(text: str) -> list[list[str]]:
    """keepalived's reading of each line: comments ('#', '!') cut, words split at whitespace."""
    found = []
    for line in text.split("\n"):
        for mark in "#!":
            line = line.split(mark, 1)[0]
        words = line.split()
        if words:
            found.append(words)
    return found


def test_each_value_is_one_token_where_it_belongs() -> None:
    lines = tokens(_render())
    assert ["interval", "1"] in lines and ["advert_int", "0.2"] in lines
    assert ["virtual_router_id", "51"] in lines and ["unicast_src_ip", "10.0.0.11"] in lines
    assert ["10.0.0.100/24", "dev", "eth0"] in lines and ["10.0.0.12"] in lines
    assert ["router_id", "redis-1"] in lines


def test_ordinary_values_render_as_before() -> None:
    # An int given as a string, as inventories often do, is written the same way.
    assert _render(vip_virtual_router_id="51", vip_check_fall="2") == _render()


@pytest.mark.parametrize("variable", sorted(VALUES))
@pytest.mark.parametrize("value", HOSTILE + LINE_BREAKS + ["1 2", "1}", "eth0 {", "10.0.0.1\n}", "@host x", "$X"])
def test_hostile_values_are_refused_by_name(variable: str, value: str) -> None:
    with pytest.raises(Exception, match=f"{REPORTED.get(variable, variable)} is ") as err:
        _render(**{variable: value})
    assert "it would not be read back" in str(err.value)


@pytest.mark.parametrize("peer", ["10.0.0.12 10.0.0.13", "10.0.0.12\n}", "host.example", ""])
def test_a_peer_that_is_not_an_ipv4_address_is_refused(peer: str) -> None:
    with pytest.raises(Exception, match="VRRP peer is not an IPv4 address"):
        _render(__vip_peers=["10.0.0.13", peer])


def test_the_router_id_of_any_inventory_name_is_one_word() -> None:
    lines = tokens(_render(inventory_hostname="db 1#x!y\nz{}"))
    assert ["router_id", "db_1_x_y_z__"] in lines


def _keepalived_test(path: Path) -> tuple[bool, str]:
    """`keepalived -t -f`: passed, and what it printed. 2.2.7 ends a config test that runs scripts
    by killing itself with SIGTERM (see roles/vip/files/hakit-keepalived-test.sh)."""
    assert KEEPALIVED
    proc = subprocess.run([KEEPALIVED, "-t", "-f", str(path)], capture_output=True, text=True, timeout=60, check=False)
    output = (proc.stdout + proc.stderr).strip()
    return proc.returncode == 0 or (proc.returncode in (143, -15) and not output), output


@pytest.mark.skipif(not KEEPALIVED, reason="keepalived is not installed (HAKIT_KEEPALIVED may name a binary)")
def test_keepalived_accepts_the_rendered_file(tmp_path: Path) -> None:
    # A user and a check script that exist here, root-owned in root-owned directories, as
    # enable_script_security demands.
    text = _render(__vip_script_user="nobody", __vip_check_script="/bin/true", __vip_check_config="/etc/hostname")
    path = tmp_path / "keepalived.conf"
    path.write_text(text)
    passed, output = _keepalived_test(path)
    assert passed, output
    # and the test does notice a value the template would have let through raw before
    path.write_text(text.replace("interval 1", "interval 1x"))
    passed, output = _keepalived_test(path)
    assert not passed and "1x" in output
