"""Issue 15: a certificate rotation under a steady writer, with redis_tls and client certificates
required (HAKIT_CHAOS_TLS=1 runs the whole lab on TLS; without it this module is skipped).

New host certificates of the same CA replace the files the inventory points at, and one playbook
run applies them: Redis loads them with CONFIG SET (no restart: same pid, the replication link
kept, no resync), the Sentinels restart one at a time (7.0 has no CONFIG SET for them), no
failover, and no acknowledged write is lost.
"""

from __future__ import annotations

import socket
import ssl
import time

import chaoslab
import pytest
from chaoslab import IPS, Lab, Writer, log
from cryptography import x509
from test_faults import assert_no_acked_loss, assert_rerun_unchanged
from test_rotation import sync_counters

pytestmark = pytest.mark.skipif(not chaoslab.TLS, reason="HAKIT_CHAOS_TLS=1 runs the TLS lab")


def served_serial(node: str, port: int) -> int:
    """Serial of the certificate the server on `node`:`port` presents to a new connection."""
    context = ssl.create_default_context(cafile=str(chaoslab.TLS_KW["ssl_ca_certs"]))
    context.check_hostname = False
    context.load_cert_chain(str(chaoslab.TLS_KW["ssl_certfile"]), str(chaoslab.TLS_KW["ssl_keyfile"]))
    with socket.create_connection((IPS[node], port), timeout=3) as raw, context.wrap_socket(raw) as sock:
        return x509.load_der_x509_certificate(sock.getpeercert(binary_form=True)).serial_number


@pytest.mark.fast
def test_certificate_rotation_under_load_no_restart_no_failover(healthy: Lab) -> None:
    lab = healthy
    master = lab.wait_invariant()
    lab.wait_replicas_synced(master)
    syncs = sync_counters(lab, master)
    redis_pids = {n: lab.pid(n, "redis-server") for n in lab.redis_nodes}
    writer = Writer(f"tls-rotation:{int(time.time())}", "sentinel", wait_ms=1000)
    writer.start()
    writer.wait_progress(20, acked=True)

    serials = lab.make_certificates(keep_ca=True)
    started = time.time()
    res = lab.playbook()
    assert res.rc == 0, res.output[-6000:]
    log(f"rotation run {res.seconds:.0f} s, longest write gap {writer.longest_gap(started, time.time()):.2f} s")
    writer.wait_progress(20, acked=True)

    # The new certificates are served, by the same redis-server processes.
    for node in lab.redis_nodes:
        assert served_serial(node, 6379) == serials[node], f"{node}: Redis still serves the old certificate"
    for node in lab.sentinel_nodes:
        assert served_serial(node, 26379) == serials[node], f"{node}: Sentinel still serves the old certificate"
    assert {n: lab.pid(n, "redis-server") for n in lab.redis_nodes} == redis_pids, "a redis-server restarted"
    # No failover, the replication link kept, nothing acknowledged lost.
    assert lab.wait_invariant() == master, "the rotation moved the master"
    assert sync_counters(lab, master) == syncs, "the replication link dropped (a resync) during the rotation"
    assert_no_acked_loss(lab, master, writer)
    lab.ha_check()
    assert_rerun_unchanged(lab, master)
