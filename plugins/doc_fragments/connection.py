# Copyright (c) 2026, hakit.redis contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option docs shared by the modules that talk to Redis and Sentinel."""

from __future__ import annotations


class ModuleDocFragment:
    """Connection options: Sentinel endpoints, users and passwords, timeout."""

    DOCUMENTATION = r"""
options:
  sentinels:
    description:
      - Sentinel endpoints as V(host:port) strings (V(host) alone means port 26379); IPv6 as V([addr]:port).
      - Use the addresses the Sentinels announce, so that they compare equal to what Sentinel reports.
      - An empty list means there is no Sentinel (topology 1); then O(redis) names the nodes to check.
    type: list
    elements: str
    required: true
  master_name:
    description:
      - Name under which the Sentinels monitor the master (C(sentinel monitor <name> ...)).
    type: str
    default: mymaster
  redis_username:
    description:
      - ACL user to authenticate as on the Redis nodes and the VIP (C(AUTH <user> <password>)), with O(redis_password)
        as that user's password.
      - Omit to authenticate as the C(default) user (C(AUTH <password>), as C(requirepass) sets it up).
      - The user needs C(INFO) on the Redis nodes.
    type: str
  redis_password:
    description:
      - Password of the Redis nodes (C(requirepass)), or of O(redis_username).
      - Omit when Redis runs without authentication.
    type: str
  sentinel_username:
    description:
      - ACL user to authenticate as on the Sentinels, with O(sentinel_password) as that user's password.
      - Omit to authenticate as the C(default) user.
      - "The user needs C(SENTINEL MASTER), C(SENTINEL GET-MASTER-ADDR-BY-NAME), C(SENTINEL REPLICAS) and
        C(SENTINEL CKQUORUM)."
    type: str
  sentinel_password:
    description:
      - Password of the Sentinels (C(requirepass) in C(sentinel.conf)), or of O(sentinel_username), when they have one.
    type: str
  timeout:
    description:
      - Seconds to wait for each connection and each reply.
      - A node that does not answer within this time is reported as unreachable.
    type: float
    default: 2
requirements:
  - redis (the Python library, C(python3-redis) on Debian) on the host that runs the module
"""
