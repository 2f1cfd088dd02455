"""redis_tls (issue 15) against a real redis-server on loopback: the collection's two client paths
(_resp.query and redis-py through _client.connect) speak TLS with a client certificate, plaintext
and foreign-CA clients are refused, and a certificate rotation is loaded by CONFIG SET of the same
paths (what hakit.redis.redis_config's `reload` sends) without a restart."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
from hakit_certs import cert_pem, key_pem, make_ca, make_cert, write_set
from hakit_loopback import daemon, free_port

from ansible_collections.hakit.redis.plugins.module_utils._client import connect, ssl_context
from ansible_collections.hakit.redis.plugins.module_utils._resp import query

# redis_binaries installs redis-server when missing: a collection-time skipif would skip every test
# here on a fresh machine, before any fixture ran.
pytestmark = pytest.mark.usefixtures("redis_binaries")

CA = make_ca()


def served_serial(port: int, tls: dict[str, str]) -> int:
    """Serial number of the certificate the server presents now."""
    from cryptography import x509

    context = ssl_context(tls)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as raw, context.wrap_socket(raw) as sock:
        der = sock.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der).serial_number


@pytest.fixture
def tls_server(tmp_path: Path) -> Any:
    files = write_set(tmp_path / "tls", "node", CA, make_cert(CA, "node", ips=["127.0.0.1"]))
    port = free_port()
    conf = tmp_path / "redis.conf"
    conf.write_text(
        "\n".join(
            [
                "bind 127.0.0.1",
                "port 0",
                f"tls-port {port}",
                f"tls-cert-file {files['cert']}",
                f"tls-key-file {files['key']}",
                f"tls-ca-cert-file {files['ca']}",
                "tls-auth-clients yes",
                "save ''",
                "appendonly no",
                f"dir {tmp_path}",
            ]
        )
        + "\n"
    )
    with daemon(["redis-server", str(conf)], port, tmp_path / "redis.log") as proc:
        yield {"port": port, "files": files, "proc": proc, "dir": tmp_path}


def test_resp_and_redis_py_speak_tls_with_a_client_certificate(tls_server: dict[str, Any]) -> None:
    files, port = tls_server["files"], tls_server["port"]
    assert query("127.0.0.1", port, [["PING"]], tls=ssl_context(files)) == ["PONG"]
    assert connect("127.0.0.1", port, tls=files).ping() is True


def test_plaintext_no_certificate_and_foreign_ca_are_refused(tls_server: dict[str, Any], tmp_path: Path) -> None:
    files, port = tls_server["files"], tls_server["port"]
    with pytest.raises(OSError):
        query("127.0.0.1", port, [["PING"]])
    with pytest.raises(OSError):
        query("127.0.0.1", port, [["PING"]], tls=ssl_context({"ca": files["ca"]}))
    other = make_ca("another CA")
    foreign = write_set(tmp_path / "foreign", "x", other, make_cert(other, "x", ips=["127.0.0.1"]))
    with pytest.raises(OSError):
        query("127.0.0.1", port, [["PING"]], tls=ssl_context({**foreign, "ca": files["ca"]}))
    # and the client refuses a server whose certificate is not from the CA it trusts
    with pytest.raises(ssl.SSLError):
        query("127.0.0.1", port, [["PING"]], tls=ssl_context(foreign))


def test_new_files_under_the_same_paths_load_with_config_set_and_no_restart(tls_server: dict[str, Any]) -> None:
    files, port, proc = tls_server["files"], tls_server["port"], tls_server["proc"]
    before = served_serial(port, files)
    client = connect("127.0.0.1", port, tls=files)
    client.set("k", "v")
    new_cert, new_key = make_cert(CA, "node", ips=["127.0.0.1"])
    Path(files["cert"]).write_text(cert_pem(new_cert))
    Path(files["key"]).write_text(key_pem(new_key))
    assert served_serial(port, files) == before  # Redis keeps what it loaded...
    args = ["tls-ca-cert-file", files["ca"], "tls-cert-file", files["cert"], "tls-key-file", files["key"]]
    assert query("127.0.0.1", port, [["CONFIG", "SET", *args]], tls=ssl_context(files)) == ["OK"]
    assert served_serial(port, files) == new_cert.serial_number != before  # ...until CONFIG SET
    assert proc.poll() is None
    assert client.get("k") == "v"  # an open connection lives on
