# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS option docs shared by the modules that talk to Redis and Sentinel."""

from __future__ import annotations


class ModuleDocFragment:
    """TLS options: on/off, CA, client certificate and key (files on the host that runs the module)."""

    DOCUMENTATION = r"""
options:
  tls:
    description:
      - Connect to Redis and the Sentinels over TLS (the roles' O(tls) follows C(redis_tls)).
      - The server's certificate chain is verified against O(tls_ca_file); host names are not checked
        (Redis does not check them on its own replication and Sentinel links either).
    type: bool
    default: false
  tls_ca_file:
    description:
      - CA certificate(s) (PEM) the servers' certificates must chain to.
      - Omit to use the system's trusted CAs.
    type: path
  tls_cert_file:
    description:
      - Client certificate (PEM) to present, needed when the servers require client certificates
        (C(tls-auth-clients yes)).
    type: path
  tls_key_file:
    description:
      - Private key of O(tls_cert_file).
    type: path
"""
