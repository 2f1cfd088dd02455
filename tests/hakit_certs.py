"""Throw-away CAs and certificates for the TLS tests (unit, integration, chaos), made with the
`cryptography` library ansible-core already needs: no openssl process, nothing left behind but the
files the caller asked for."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = datetime.timedelta(days=1)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_ca(cn: str = "hakit test CA", days: int = 30) -> tuple[Any, Any]:
    """(certificate, key) of a self-signed CA."""
    key = new_key()
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + days * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_cert(
    ca: tuple[Any, Any],
    cn: str,
    ips: list[str] = (),
    dns: list[str] = (),
    days: int = 30,
    start_days: int = -1,
    usages: list[Any] | None = None,
    key: Any = None,
) -> tuple[Any, Any]:
    """(certificate, key) signed by `ca`; serverAuth+clientAuth unless `usages` says otherwise ([] = no EKU)."""
    ca_cert, ca_key = ca
    key = key or new_key()
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips] + [x509.DNSName(d) for d in dns]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + start_days * DAY)
        .not_valid_after(now + days * DAY)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH] if usages is None else usages
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def cert_pem(cert: Any) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def write_set(directory: Path, name: str, ca: tuple[Any, Any], cert: tuple[Any, Any]) -> dict[str, str]:
    """Write ca.crt, NAME.crt, NAME.key (0600) into `directory`; their paths as {ca, cert, key}."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"ca": directory / "ca.crt", "cert": directory / f"{name}.crt", "key": directory / f"{name}.key"}
    paths["ca"].write_text(cert_pem(ca[0]))
    paths["cert"].write_text(cert_pem(cert[0]))
    paths["key"].write_text(key_pem(cert[1]))
    paths["key"].chmod(0o600)
    return {k: str(v) for k, v in paths.items()}
