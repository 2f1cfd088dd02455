#!/usr/bin/env bash
# Install test: what a user of the published collection does, from outside this repo.
#   1. ansible-galaxy collection build       -> hakit-redis-X.Y.Z.tar.gz in a temp dir
#   2. ansible-galaxy collection install --offline into that temp dir (no Galaxy, no repo paths)
#   3. from a directory outside the repo, a playbook applies hakit.redis.redis by FQCN to one
#      container and checks that redis answers PING with the password.
# The container and its network are always removed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# For the venv's tools only: the repo's own collection path is dropped below.
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

IMAGE=${HAKIT_IMAGE:-hakit/debian:bookworm}
NET=hakit-install
SUBNET=172.28.7.0/24
NODE=hakit-install-node1
NODE_IP=172.28.7.11

log() { printf '[install] %s\n' "$*"; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }

TMP=""
cleanup() {
  docker rm -f "$NODE" >/dev/null 2>&1 || true
  docker network rm "$NET" >/dev/null 2>&1 || true
  [[ -z $TMP ]] || rm -rf "$TMP"
}

build_and_install() {
  log "build from $ROOT"
  ansible-galaxy collection build "$ROOT" --output-path "$TMP/dist" >/dev/null
  local tarball
  tarball=$(ls "$TMP"/dist/hakit-redis-*.tar.gz)
  log "built $(basename "$tarball")"
  # With the repo's collection path still set, install would find hakit.redis "already installed"
  # (the working tree) and do nothing.
  ANSIBLE_COLLECTIONS_PATH=$TMP/collections \
    ansible-galaxy collection install --offline "$tarball" -p "$TMP/collections" >/dev/null
  log "installed into $TMP/collections"
}

start_node() {
  cleanup_node_only
  docker network create --subnet "$SUBNET" "$NET" >/dev/null
  docker run -d --init --name "$NODE" --hostname node1 --network "$NET" --ip "$NODE_IP" \
    --cap-add NET_ADMIN "$IMAGE" sleep infinity >/dev/null
  log "container $NODE ($NODE_IP) from $IMAGE"
}

# A previous run killed hard may have left these behind.
cleanup_node_only() {
  docker rm -f "$NODE" >/dev/null 2>&1 || true
  docker network rm "$NET" >/dev/null 2>&1 || true
}

write_project() {
  local play=$TMP/project
  mkdir -p "$play"
  cat >"$play/inventory.yml" <<YAML
---
all:
  children:
    redis:
      hosts:
        node1:
          ansible_host: $NODE
          ansible_connection: community.docker.docker
          ansible_python_interpreter: /usr/bin/python3
          redis_announce_ip: $NODE_IP
YAML
  cat >"$play/site.yml" <<'YAML'
---
- name: Converge redis from the installed collection
  hosts: redis
  vars:
    redis_password: install-test-Secret_1
  roles:
    - role: hakit.redis.redis
  post_tasks:
    - name: Ask redis for PONG with the password (the installed collection's own module)
      hakit.redis.redis_wait:
        port: "{{ redis_port | default(6379) }}"
        password: "{{ redis_password }}"
        command: [PING]
        expect: ^PONG$
        timeout: 10
YAML
}

main() {
  TMP=$(mktemp -d /tmp/hakit-install.XXXXXX)
  trap cleanup EXIT
  build_and_install
  write_project

  # Only the temp install and the collections bundled in the venv's `ansible` package.
  export ANSIBLE_COLLECTIONS_PATH=$TMP/collections
  unset ANSIBLE_CONFIG ANSIBLE_ROLES_PATH
  local installed=$TMP/collections/ansible_collections/hakit/redis start
  cd "$TMP/project"
  ansible-galaxy collection list hakit.redis

  # A collection without its redis role is a broken build (e.g. a build_ignore too wide), never a
  # reason to test less.
  [[ -d $installed/roles/redis ]] || die "the installed collection has no roles/redis ($installed)"

  start_node
  start=$(date +%s)
  ansible-playbook -i inventory.yml site.yml
  log "converged hakit.redis.redis by FQCN in $(($(date +%s) - start)) s; PING -> PONG with auth"
}

main "$@"
