"""Every unit suite: Ansible's collection finder on this tree before anything imports from it.

The template tests render through Ansible's Templar, which resolves hakit.redis.* filters with the
finder; installed later, after a plugin test imported ansible_collections as a plain namespace
package, it would not see them. Installed first, the plugin tests import through it too (as
ansible-test's unit runner does).
"""

from __future__ import annotations

from hakit_templates import install_collection_finder

install_collection_finder()
