# shellcheck shell=bash
# Sourced by the Makefile recipes, scripts/*.sh and molecule runs so that the working tree is
# importable as the collection hakit.redis without installing it:
#   - the repo is not inside an ansible_collections/hakit/redis tree, so a symlink in .cache gives
#     Ansible one, and ANSIBLE_COLLECTIONS_PATH points at it;
#   - the collections bundled by the pinned `ansible` package (community.docker, ...) live in the
#     venv's site-packages and are found by ansible-core without being on that path.
# Usage: source scripts/env.sh   (safe to source repeatedly; creates nothing but the symlink)

HAKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HAKIT_VENV=${VENV:-$HAKIT_ROOT/.venv}
HAKIT_COLLECTIONS=$HAKIT_ROOT/.cache/collections
export HAKIT_ROOT HAKIT_VENV HAKIT_COLLECTIONS

__hakit_link=$HAKIT_COLLECTIONS/ansible_collections/hakit/redis
if [[ ! -L $__hakit_link || $(readlink "$__hakit_link") != "$HAKIT_ROOT" ]]; then
  mkdir -p "$(dirname "$__hakit_link")"
  ln -sfn "$HAKIT_ROOT" "$__hakit_link"
fi
unset __hakit_link

export ANSIBLE_COLLECTIONS_PATH=$HAKIT_COLLECTIONS
# The settings the README recommends to users (pipelining), also when run from another directory.
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$HAKIT_ROOT/ansible.cfg}
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-0}
export PY_COLORS=${PY_COLORS:-0}
# Tools (ansible-*, molecule, pytest, ruff, ...) come from the venv, never from the system.
if [[ -d $HAKIT_VENV/bin && :$PATH: != *":$HAKIT_VENV/bin:"* ]]; then
  export PATH=$HAKIT_VENV/bin:$PATH
fi
export VIRTUAL_ENV=$HAKIT_VENV
