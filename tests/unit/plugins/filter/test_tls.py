"""TLS preflight (issue 15): each unusable CA/certificate/key set is named, with its fix."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from cryptography.x509.oid import ExtendedKeyUsageOID
from hakit_certs import cert_pem, key_pem, make_ca, make_cert, new_key

from ansible_collections.hakit.redis.plugins.filter.tls import FilterModule, tls_auth_clients, tls_problems

CA = make_ca()
OTHER_CA = make_ca("another CA")
GOOD = make_cert(CA, "node1", ips=["10.0.0.11", "10.0.0.100"], dns=["node1"])


def files(cert: tuple[Any, Any] = GOOD, ca: tuple[Any, Any] = CA, key: Any = None, extra: str = "") -> dict[str, str]:
    return {
        "ca": cert_pem(ca[0]),
        "cert": cert_pem(cert[0]) + extra,
        "key": key_pem(key or cert[1]),
        "ca_path": "tls/ca.crt",
        "cert_path": "tls/node1.crt",
        "key_path": "tls/node1.key",
    }


def test_a_good_set_has_no_problem() -> None:
    assert tls_problems(files(), ["10.0.0.11", "10.0.0.100"], "node1") == []
    assert FilterModule().filters()["tls_problems"] is tls_problems


def test_a_dns_address_is_matched_against_dns_names() -> None:
    assert tls_problems(files(), ["NODE1"]) == []


def test_intermediates_after_the_leaf_complete_the_chain() -> None:
    intermediate = make_cert(CA, "intermediate", usages=[])
    # an intermediate used as a CA: the test helper does not mark it CA, the signature check is what counts
    leaf = make_cert(intermediate, "node1", ips=["10.0.0.11"])
    assert tls_problems(files(leaf, extra=cert_pem(intermediate[0])), ["10.0.0.11"]) == []
    [problem] = tls_problems(files(leaf), ["10.0.0.11"], "node1")
    assert "does not chain to the CA in tls/ca.crt" in problem and problem.startswith("node1: ")


@pytest.mark.parametrize(
    ("kwargs", "addresses", "expected"),
    [
        ({"key": new_key()}, ["10.0.0.11"], "does not match the key tls/node1.key"),
        ({"ca": OTHER_CA}, ["10.0.0.11"], "does not chain to the CA"),
        ({"cert": make_cert(CA, "node1", ips=["10.0.0.11"], days=-1, start_days=-3)}, ["10.0.0.11"], "expired on"),
        ({"cert": make_cert(CA, "node1", ips=["10.0.0.11"], start_days=2)}, ["10.0.0.11"], "is valid only from"),
        ({}, ["10.0.0.11", "10.0.0.12"], "does not cover 10.0.0.12"),
        (
            {"cert": make_cert(CA, "node1", ips=["10.0.0.11"], usages=[ExtendedKeyUsageOID.SERVER_AUTH])},
            ["10.0.0.11"],
            "without clientAuth",
        ),
    ],
)
def test_each_problem_is_named_with_its_fix(kwargs: dict[str, Any], addresses: list[str], expected: str) -> None:
    problems = tls_problems(files(**kwargs), addresses, "node1", "sentinel")
    assert len(problems) == 1, problems
    assert expected in problems[0] and problems[0].startswith("node1: ")


def test_no_eku_at_all_is_fine() -> None:
    assert tls_problems(files(make_cert(CA, "n", ips=["10.0.0.11"], usages=[])), ["10.0.0.11"]) == []


def test_unreadable_files_are_named_and_the_key_never_shown() -> None:
    bad = {"ca": "", "cert": "not a pem", "key": "secret-bytes", "cert_path": "c.pem"}
    problems = tls_problems(bad, ["10.0.0.11"], "node2")
    assert any("ca holds no PEM certificate" in p for p in problems)
    assert any("c.pem holds no PEM certificate" in p for p in problems)
    assert any("not an unencrypted PEM private key" in p for p in problems)
    assert not any("secret-bytes" in p for p in problems)


def test_now_can_be_given() -> None:
    assert any("expired" in p for p in tls_problems(files(), ["10.0.0.11"], now="2099-01-01T00:00:00"))


def test_not_a_dict_is_an_error() -> None:
    with pytest.raises(AnsibleFilterError):
        tls_problems("x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, "yes"), (False, "no"), (None, "no"), ("no", "no"), ("Optional", "optional"), ("yes", "yes"), ("x", "x")],
)
def test_tls_auth_clients_spelling(value: object, expected: str) -> None:
    assert tls_auth_clients(value) == expected
