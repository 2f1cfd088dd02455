"""Issue 15: a certificate rotation under a steady writer, with redis_tls and client certificates
required (HAKIT_CHAOS_TLS=1 runs the whole lab on TLS; without it this module is skipped).

New host certificates of the same CA replace the files the inventory points at, and one playbook
run applies them: Redis loads them with CONFIG SET (no restart: same pid, the replication link
kept, no resync), the Sentinels restart one at a time (7.0 has no CONFIG SET for them), no
failover, and no acknowledged write is lost.
"""

from __future__ import annotations

import re
import socket
import ssl
import time

import chaoslab
import pytest
from chaoslab import IPS, Lab, Writer, log, wait_for
from cryptography import x509
from test_faults import VIP_METRIC_FILE, assert_no_acked_loss, assert_rerun_unchanged, exporter_scrape, processes
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


EXPORTER_PROGRAMS = ("prometheus-redis-exporter", "hakit-vip-metric")


def test_exporter_scrapes_redis_and_sentinel_over_tls(healthy: Lab) -> None:
    """The exporter on every node (exporter_enabled): /metrics reports redis_up 1 through rediss://
    (the local Redis, the Sentinel on node3), each redis host's /scrape?target=rediss://IP:26379 its
    Sentinel (the master's address, CKQUORUM), the VIP metric is 1 on one redis host, and a re-run
    changes nothing. Afterwards its programs are taken off by hand (turning exporter_enabled off
    leaves them running, docs/monitoring.md) and the run without it drops the ACL users again."""
    lab = healthy
    master = lab.wait_invariant()
    lab.extra_vars["exporter_enabled"] = True
    try:
        res = lab.playbook()
        assert res.rc == 0, res.output[-6000:]
        log(f"converge with the exporter {res.seconds:.0f} s")
        for node in lab.nodes:
            args = " ".join(processes(lab, node, ("/usr/bin/prometheus-redis-exporter",)))
            assert f"-redis.addr=rediss://{IPS[node]}:" in args, f"{node}: {args}"
            assert "-tls-client-key-file=/etc/prometheus/redis-exporter.key" in args, f"{node}: {args}"
            wait_for(f"{node}'s /metrics up", lambda n=node: re.search(r"(?m)^redis_up 1$", exporter_scrape(n)), 60)
        for node in lab.redis_nodes:
            text = exporter_scrape(node, f"scrape?target=rediss://{IPS[node]}:26379")
            assert re.search(r"(?m)^redis_up 1$", text), f"{node}'s Sentinel target: {text[-2000:]}"
            status = re.search(r'(?m)^redis_sentinel_master_status\{[^}]*master_address="([^"]+)"[^}]*\} 1$', text)
            assert status and status[1] == f"{IPS[master]}:6379", f"{node}'s Sentinel names {status and status[1]}"
            assert re.search(r"(?m)^redis_sentinel_master_ckquorum_status\{[^}]*\} 1$", text), text[-2000:]
        held = {n: lab.exec(n, f"cat {VIP_METRIC_FILE}").stdout for n in lab.redis_nodes}
        ones = [n for n, v in held.items() if re.search(r"(?m)^hakit_redis_vip_held\{[^}]*\} 1$", v)]
        assert ones == [master], f"VIP metric: {held}"
        assert_rerun_unchanged(lab, master)
    finally:
        lab.extra_vars.pop("exporter_enabled", None)
        conf = " ".join(f"/etc/supervisor/conf.d/{p}.conf" for p in EXPORTER_PROGRAMS)
        for node in lab.nodes:
            lab.exec(node, f"supervisorctl stop {' '.join(EXPORTER_PROGRAMS)}; rm -f {conf}; supervisorctl update")
    res = lab.playbook()
    assert res.rc == 0, res.output[-6000:]
