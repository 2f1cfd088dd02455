# -*- coding: utf-8 -*-
# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS preflight (issue 15): what is wrong with one host's CA, certificate and key, in sentences.

Runs on the controller, where the files are, before any host is changed. Uses the `cryptography`
library, which ansible-core itself requires, so the check needs nothing installed on the hosts and
works in check mode. Redis uses one certificate both as a server (its tls-port) and as a client
(replication, Sentinel links): an extended key usage, when the certificate has one, must allow both.
"""

from __future__ import annotations

import datetime
import ipaddress
from typing import Any

from ansible.errors import AnsibleFilterError

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - ansible-core depends on it
    HAS_CRYPTOGRAPHY = False

# How far up a chain (leaf, intermediates in the certificate file, then a CA) the check walks.
MAX_DEPTH = 6


def _public_bytes(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _issued_by(cert: Any, issuer: Any) -> bool:
    """True when `issuer` signed `cert` (names match and the signature verifies)."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # noqa: BLE001 - InvalidSignature, ValueError, TypeError: not issued by it
        return False
    return True


def _chains(leaf: Any, intermediates: list[Any], roots: list[Any]) -> bool:
    current = leaf
    for _depth in range(MAX_DEPTH):
        if any(_issued_by(current, root) for root in roots):
            return True
        parents = [c for c in intermediates if c is not current and _issued_by(current, c)]
        if not parents:
            return False
        current = parents[0]
    return False


def _not_after(cert: Any) -> datetime.datetime:
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=datetime.UTC)


def _not_before(cert: Any) -> datetime.datetime:
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else cert.not_valid_before.replace(tzinfo=datetime.UTC)


def _names(cert: Any) -> tuple[set[str], set[str]]:
    """(IP addresses, DNS names) of the subjectAltName."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    dns = {name.lower() for name in san.get_values_for_type(x509.DNSName)}
    return ips, dns


def _covered(address: str, ips: set[str], dns: set[str]) -> bool:
    try:
        return str(ipaddress.ip_address(address)) in ips
    except ValueError:
        return address.lower() in dns


def _usage_problem(cert: Any) -> str:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return ""
    missing = [
        name
        for name, oid in (
            ("serverAuth", ExtendedKeyUsageOID.SERVER_AUTH),
            ("clientAuth", ExtendedKeyUsageOID.CLIENT_AUTH),
        )
        if oid not in eku
    ]
    return ", ".join(missing)


def tls_problems(
    files: dict[str, Any], addresses: list[str] | None = None, host: str = "", what: str = "redis", now: Any = None
) -> list[str]:
    """One sentence per problem with `files` ({ca, cert, key}: PEM texts; {ca,cert,key}_path: names).

    `addresses`: what clients connect to (the announce IP, the VIP): each must be in the
    certificate's subjectAltName. `now`: an ISO date-time for tests; the current time otherwise.
    """
    if not HAS_CRYPTOGRAPHY:
        raise AnsibleFilterError("tls_problems needs the Python library cryptography on the controller")
    if not isinstance(files, dict):
        raise AnsibleFilterError(f"tls_problems expects a dict of PEM texts, not {type(files).__name__}")
    where = f"{host}: " if host else ""
    paths = {k: files.get(f"{k}_path") or k for k in ("ca", "cert", "key")}
    problems: list[str] = []

    def load_certs(kind: str) -> list[Any]:
        text = files.get(kind) or ""
        try:
            certs = x509.load_pem_x509_certificates(text.encode()) if text.strip() else []
        except ValueError:
            certs = []
        if not certs:
            problems.append(f"{where}{paths[kind]} holds no PEM certificate: give the {what} {kind} file in PEM form")
        return certs

    roots = load_certs("ca")
    chain = load_certs("cert")
    key = None
    try:
        key = serialization.load_pem_private_key((files.get("key") or "").encode(), password=None)
    except (ValueError, TypeError):
        problems.append(
            f"{where}{paths['key']} is not an unencrypted PEM private key: give the {what} key without a passphrase"
        )
    if not chain:
        return problems
    leaf = chain[0]
    if key is not None and _public_bytes(key.public_key()) != _public_bytes(leaf.public_key()):
        problems.append(
            f"{where}{paths['cert']} does not match the key {paths['key']}: give the key the certificate was made for"
        )
    if roots and not _chains(leaf, chain[1:], roots):
        problems.append(
            f"{where}{paths['cert']} (issued by {leaf.issuer.rfc4514_string()}) does not chain to the CA in "
            f"{paths['ca']}: sign it with that CA, put intermediates after it in the file, or add its CA to the CA file"
        )
    moment = datetime.datetime.fromisoformat(now) if now else datetime.datetime.now(datetime.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    if _not_after(leaf) <= moment:
        problems.append(f"{where}{paths['cert']} expired on {_not_after(leaf).isoformat()}: renew it")
    elif _not_before(leaf) > moment:
        problems.append(
            f"{where}{paths['cert']} is valid only from {_not_before(leaf).isoformat()}: check the clocks or reissue it"
        )
    for root in roots:
        if _not_after(root) <= moment:
            problems.append(f"{where}{paths['ca']}: CA {root.subject.rfc4514_string()} expired: renew it")
    ips, dns = _names(leaf)
    missing = [a for a in addresses or [] if a and not _covered(str(a), ips, dns)]
    if missing:
        problems.append(
            f"{where}{paths['cert']} does not cover {', '.join(map(str, missing))} (subjectAltName has "
            f"{', '.join(sorted(ips | dns)) or 'nothing'}): reissue it with these addresses"
        )
    usage = _usage_problem(leaf)
    if usage:
        problems.append(
            f"{where}{paths['cert']} has an extended key usage without {usage}: Redis and Sentinel use one "
            "certificate as server and as client, reissue it with both (or without extendedKeyUsage)"
        )
    return problems


def tls_auth_clients(value: Any) -> str:
    """tls-auth-clients as Redis spells it: an unquoted YAML no/yes arrives as a boolean.

    Any other value comes back as text, for preflight to refuse by name.
    """
    if value is True:
        return "yes"
    if value is False or value is None:
        return "no"
    return str(value).strip().lower()


class FilterModule:
    """TLS filters."""

    def filters(self) -> dict[str, Any]:
        return {"tls_problems": tls_problems, "tls_auth_clients": tls_auth_clients}
