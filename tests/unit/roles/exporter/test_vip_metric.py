"""roles/exporter/files/hakit-vip-metric.sh: 1 only while an interface carries exactly the VIP.

Run with a fake `ip` first on PATH (what `ip -4 -o addr show` prints), until the file appears.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[4] / "roles" / "exporter" / "files" / "hakit-vip-metric.sh"
VIP = "10.0.0.100"
ADDRS = {
    "holder": "1: lo    inet 127.0.0.1/8 scope host lo\n"
    "2: eth0    inet 10.0.0.11/24 brd 10.0.0.255 scope global eth0\n"
    f"2: eth0    inet {VIP}/32 scope global eth0\n",
    "other": "2: eth0    inet 10.0.0.12/24 brd 10.0.0.255 scope global eth0\n",
    # 10.0.0.1000 and 10.0.0.10 must not count as the VIP (a regex or prefix match would)
    "lookalike": "2: eth0    inet 10.0.0.1000/32 scope global eth0\n2: eth0    inet 10.0.0.10/24 scope global eth0\n",
}


@pytest.mark.parametrize(("addrs", "held"), [("holder", 1), ("other", 0), ("lookalike", 0)])
def test_writes_whether_this_host_holds_the_vip(tmp_path: Path, addrs: str, held: int) -> None:
    bin_dir, out_dir = tmp_path / "bin", tmp_path / "textfile"
    bin_dir.mkdir()
    out_dir.mkdir()
    (bin_dir / "ip").write_text(f"#!/bin/sh\ncat <<'EOF'\n{ADDRS[addrs]}EOF\n")
    (bin_dir / "ip").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    proc = subprocess.Popen(["/bin/sh", str(SCRIPT), VIP, str(out_dir), "60"], env=env)
    try:
        out = out_dir / "hakit_redis_vip.prom"
        deadline = time.monotonic() + 10
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert out.read_text().splitlines() == [
            "# HELP hakit_redis_vip_held 1 when this host carries the Redis VIP (hakit.redis exporter role).",
            "# TYPE hakit_redis_vip_held gauge",
            f'hakit_redis_vip_held{{vip="{VIP}"}} {held}',
        ]
        assert [p.name for p in out_dir.iterdir()] == ["hakit_redis_vip.prom"], "the temporary file was renamed"
    finally:
        proc.kill()
        proc.wait()
