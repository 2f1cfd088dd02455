#!/usr/bin/env bash
# The ecosystem checks: what Galaxy, docs.ansible.com-style docs and AWX execution environments
# make of the collection. Each tool lives in its own pinned venv under .cache/venvs/<tool>
# (tests/ecosystem/requirements-<tool>.txt), created from nothing on first use: they pin other
# ansible-core / ansible-lint versions than the main venv and must not disturb it.
#
#   scripts/ecosystem.sh galaxy-importer        # build the tarball, run Galaxy's importer offline
#   scripts/ecosystem.sh docs-lint              # antsibull-docs lint-collection-docs --plugin-docs
#   scripts/ecosystem.sh execution-environment  # ansible-builder create + checks of the context
#   scripts/ecosystem.sh docs                   # HTML docs into .cache/docs/build/html (make docs)
#   scripts/ecosystem.sh venv NAME              # print the path of venv NAME, installing it if needed
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
REQS=$ROOT/tests/ecosystem
CACHE=$ROOT/.cache

log() { printf '[ecosystem] %s\n' "$*"; }
die() {
  printf '[ecosystem] FAILED: %s\n' "$*" >&2
  exit 1
}

# tool_venv NAME: path of .cache/venvs/NAME, (re)installed when its requirements file changed.
tool_venv() {
  local venv=$CACHE/venvs/$1 req=$REQS/requirements-$1.txt want
  [[ -f $req ]] || die "$req is missing"
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [[ ! -x $venv/bin/python || ! -f $venv/.requirements.sha256 || $(<"$venv/.requirements.sha256") != "$want" ]]; then
    log "venv: installing $req into $venv" >&2
    python3 -m venv "$venv" >&2 || die "python3 -m venv $venv failed (apt-get install python3-venv)"
    if ! "$venv/bin/pip" install -q -r "$req" >"$venv.pip.log" 2>&1; then
      grep -v "^WARNING: Location" "$venv.pip.log" | tail -n 20 >&2
      die "pip install -r $req failed (log: $venv.pip.log)"
    fi
    echo "$want" >"$venv/.requirements.sha256"
  fi
  echo "$venv"
}

# build_tarball DIR: ansible-galaxy collection build into DIR; prints the tarball's path.
build_tarball() {
  local dir=$1
  rm -rf "$dir"
  mkdir -p "$dir"
  ansible-galaxy collection build --force --output-path "$dir" "$ROOT" >&2
  ls "$dir"/hakit-redis-*.tar.gz
}

cmd_galaxy-importer() {
  local venv dir tarball out problems
  venv=$(tool_venv galaxy-importer)
  dir=$CACHE/galaxy-importer
  tarball=$(build_tarball "$dir")
  out=$dir/importer.log
  log "galaxy-importer on $tarball (config tests/ecosystem/galaxy-importer.cfg)"
  # The importer calls ansible-doc and ansible-lint by name: its own venv's come first.
  # It exits 0 even when it logs errors, so its log is read as well.
  # It writes importer_result.json into its working directory: the output directory.
  (cd "$dir" && PATH=$venv/bin:$PATH GALAXY_IMPORTER_CONFIG=$REQS/galaxy-importer.cfg \
    "$venv/bin/python" -m galaxy_importer.main "$tarball") 2>&1 | tee "$out" |
    grep -v '^Loading \|^Finding content\|^INFO' || true
  grep -q '^Importer processing completed successfully' "$out" || die "the importer did not complete (log: $out)"
  # Any ERROR or WARNING line fails: docs/ecosystem.md says how each known one was fixed.
  problems=$(grep -E '^(ERROR|WARNING)|\[(ERROR|WARNING)\]' "$out" || true)
  [[ -z $problems ]] || die "the importer reported problems:"$'\n'"$problems"
  log "galaxy-importer: clean"
}

cmd_docs-lint() {
  local venv
  venv=$(tool_venv antsibull-docs)
  log "antsibull-docs lint-collection-docs --plugin-docs (modules, filters, test, roles' argument specs)"
  # The collection is linted where ansible-doc finds it: the .cache/collections symlink of env.sh.
  PATH=$venv/bin:$PATH antsibull-docs lint-collection-docs --plugin-docs \
    "$HAKIT_COLLECTIONS/ansible_collections/hakit/redis"
  log "docs-lint: clean"
}

cmd_docs() {
  local venv dir=$CACHE/docs
  venv=$(tool_venv antsibull-docs)
  rm -rf "$dir"
  mkdir -p "$dir"
  log "antsibull-docs sphinx-init + build.sh into $dir"
  PATH=$venv/bin:$PATH antsibull-docs sphinx-init --use-current --squash-hierarchy --dest-dir "$dir" hakit.redis >/dev/null
  # Offline: the docs.ansible.com inventories cannot be fetched, so references into them
  # (common return values, configuration settings, other collections) stay plain text instead
  # of failing the build; links inside this collection are checked by `docs-lint`.
  cat >>"$dir/conf.py" <<'PY'

# hakit.redis (scripts/ecosystem.sh docs): built offline.
project = 'hakit.redis'
title = html_short_title = 'hakit.redis collection'
intersphinx_mapping = {}
suppress_warnings = ['ref.ref']
PY
  PATH=$venv/bin:$PATH "$dir/build.sh" >"$dir/build.log" 2>&1 || {
    tail -n 30 "$dir/build.log" >&2
    die "the docs build failed (log: $dir/build.log)"
  }
  local page
  for page in index ha_check_module failure_analysis_filter ipv4_test redis_role sentinel_role supervisor_role vip_role; do
    [[ -f $dir/build/html/$page.html ]] || die "$dir/build/html/$page.html was not generated"
  done
  log "docs: open file://$dir/build/html/index.html"
}

cmd_execution-environment() {
  local venv dir=$CACHE/ee tarball ctx file
  venv=$(tool_venv ansible-builder)
  tarball=$(build_tarball "$dir/dist")
  cp "$ROOT"/tests/ee/* "$dir/"
  cp "$tarball" "$dir/hakit-redis.tar.gz"
  ctx=$dir/context
  log "ansible-builder create -f tests/ee/execution-environment.yml (in $dir)"
  (cd "$dir" && "$venv/bin/ansible-builder" create -f execution-environment.yml -c "$ctx" \
    --output-filename Containerfile -v 1)
  file=$ctx/Containerfile
  [[ -f $file ]] || die "$file was not generated"
  local want
  for want in 'quay.io/centos/centos:stream9' 'ansible-core==2.19.14' 'ansible-runner==' \
    'ansible-galaxy collection install .*-r requirements.yml' 'introspect.py introspect'; do
    grep -Eq -- "$want" "$file" || die "$file does not contain '$want'"
  done
  grep -q 'collections/hakit-redis.tar.gz' "$ctx/_build/requirements.yml" || die "_build/requirements.yml does not name the collection"
  [[ -s $ctx/_build/collections/hakit-redis.tar.gz ]] || die "the collection tarball is not in the context"
  # What the image build will add for the collection: run the context's own introspection on the
  # collection installed from the tarball (what the builder stage of the Containerfile does).
  rm -rf "$dir/installed"
  ANSIBLE_COLLECTIONS_PATH=$dir/installed ansible-galaxy collection install --offline --force \
    -p "$dir/installed" "$dir/hakit-redis.tar.gz" >/dev/null
  local deps
  deps=$("$venv/bin/python" "$ctx/_build/scripts/introspect.py" introspect "$dir/installed")
  echo "$deps"
  grep -q "redis>=" <<<"$deps" || die "introspection does not list meta/ee-requirements.txt"
  grep -q "openssh-clients" <<<"$deps" || die "introspection does not list meta/ee-bindep.txt"
  log "execution-environment: context in $ctx (building it needs quay.io: ansible-builder build)"
}

case ${1:-} in
  galaxy-importer | docs-lint | docs | execution-environment) "cmd_$1" ;;
  venv) tool_venv "${2:?venv NAME}" ;;
  *) die "usage: $0 galaxy-importer|docs-lint|docs|execution-environment|venv NAME" ;;
esac
