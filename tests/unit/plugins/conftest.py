"""Make the checkout importable as ansible_collections.hakit.redis for the plugin unit tests."""

from __future__ import annotations

from hakit_collection import link_collection

link_collection()
