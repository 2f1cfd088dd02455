#!/usr/bin/env bash
# ansible-test sanity for the collection. ansible-test insists on running from inside an
# ansible_collections/<namespace>/<name> tree, which this repo is not, so it runs on a copy in a
# temporary directory (results are copied back to tests/output/sanity).
# Extra arguments go to ansible-test, e.g. scripts/sanity.sh --test validate-modules
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
PYTHON_VERSION=${HAKIT_SANITY_PYTHON:-3.11}

log() { printf '[sanity] %s\n' "$*"; }

# ansible-test bootstraps pip into each sanity venv with a get-pip.py it downloads from a host
# outside the package registries. The file it looks for (ansible_test/_util/target/setup/
# requirements.py: ~/.ansible/test/cache/get_pip_<version with _>.py) is provided here instead:
# ensurepip installs the pip bundled with Python offline, then that pip installs what was asked
# (the pinned pip) from the configured index.
write_get_pip() {
  local version file
  # The heredoc is quoted (no shell expansion inside the Python): the version goes in through the
  # environment, otherwise the Python would see the literal text "$PYTHON_VERSION".
  version=$(HAKIT_SANITY_PYTHON_VERSION=$PYTHON_VERSION python - <<'PY'
import os

from ansible_test._internal.host_configs import NativePythonConfig
from ansible_test._internal.python_requirements import get_venv_packages

print(get_venv_packages(NativePythonConfig(version=os.environ["HAKIT_SANITY_PYTHON_VERSION"]))["pip"])
PY
) || version=24.2
  file=$HOME/.ansible/test/cache/get_pip_${version//./_}.py
  mkdir -p "$(dirname "$file")"
  cat >"$file" <<'PY'
"""Offline stand-in for get-pip.py, written by hakit.redis scripts/sanity.sh."""
from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

# ensurepip drops every PIP_* variable and points PIP_CONFIG_FILE at /dev/null; the install below
# must see the machine's pip configuration (index, certificates), so keep the original environment.
env = dict(os.environ)
env.pop("PIP_CONFIG_FILE", None)
ensurepip.bootstrap(upgrade=True)
# --no-setuptools/--no-wheel are get-pip.py's own options: ensurepip installs neither anyway.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", *args], env=env))
PY
  log "pip bootstrap for ansible-test: $file"
}

# The shellcheck sanity test is skipped with only a warning when the program is missing.
ensure_shellcheck() {
  command -v shellcheck >/dev/null 2>&1 && return
  log "installing shellcheck (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq shellcheck >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq shellcheck >/dev/null; }
}

TMP=""
cleanup() { [[ -z $TMP ]] || rm -rf "$TMP"; }

main() {
  local dest rc=0
  TMP=$(mktemp -d /tmp/hakit-sanity.XXXXXX)
  trap cleanup EXIT
  dest=$TMP/ansible_collections/hakit/redis
  mkdir -p "$dest"
  # Sanity checks what ships: the dev-only trees (molecule scenarios, bench, chaos lab; all in
  # galaxy.yml's build_ignore) follow pytest's conventions, not the plugin rules.
  tar -C "$ROOT" -c --exclude=./.venv --exclude=./.cache --exclude=./.git --exclude=./tests/output \
    --exclude=./molecule --exclude=./bench --exclude=./tests/chaos \
    --exclude=__pycache__ --exclude=.pytest_cache --exclude=.ruff_cache . | tar -C "$dest" -x
  # ansible-test lists a collection's files through git when it is a git tree; a fresh repo holding
  # exactly the copied files makes that list match the working tree (uncommitted files included).
  git -C "$dest" init -q
  git -C "$dest" add -A
  git -C "$dest" -c user.name=sanity -c user.email=sanity@localhost commit -q -m sanity --no-gpg-sign
  write_get_pip
  ensure_shellcheck
  log "ansible-test sanity --python $PYTHON_VERSION in $dest"
  # This machine's pip configuration names index locations that do not exist for every package;
  # pip warns about each of them on every install, which buries the test results.
  (cd "$dest" && ansible-test sanity --local --requirements --python "$PYTHON_VERSION" --color no "$@") 2>&1 |
    sed -u "/WARNING: Location '.*' is ignored/d" || rc=$?
  if [[ -d $dest/tests/output ]]; then
    mkdir -p "$ROOT/tests/output/sanity"
    cp -r "$dest/tests/output/." "$ROOT/tests/output/sanity/"
  fi
  return "$rc"
}

main "$@"
