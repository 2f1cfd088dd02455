#!/usr/bin/env bash
# Bring up everything the lab and the tests need, from nothing, idempotently:
#   venv    - .venv with the pinned requirements (re-installed only when requirements.txt changes)
#   docker  - a running docker engine (apt-installs docker.io when dockerd is missing)
#   image   - the local base image hakit/debian:bookworm (debootstrap + docker import, built once)
#   image-systemd - hakit/debian-systemd:bookworm: the base image plus systemd as PID 1, for the
#             molecule scenario that proves the systemd path (built once from the base image)
#   image-trixie - hakit/debian:trixie: the same base image from Debian 13 (Redis 8, Valkey 8), for
#             the trixie scenarios, the trixie lab and the chaos lab's HAKIT_CHAOS_DISTRO=trixie
#   image-systemd-trixie - hakit/debian-systemd:trixie: the trixie image plus systemd as PID 1, for
#             the scenario that proves Valkey's units (trixie_valkey_systemd; built once)
# Usage: scripts/bootstrap.sh [venv|docker|image|image-systemd|image-trixie|image-systemd-trixie|all]...
#        (default: all)
# `all` builds the trixie image too when the chaos lab or the bench will run on it
# (HAKIT_CHAOS_DISTRO=trixie, HAKIT_CHAOS_ENGINE=valkey or BENCH_ENGINE=valkey).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
IMAGE=${HAKIT_IMAGE:-hakit/debian:bookworm}
TRIXIE_IMAGE=${HAKIT_TRIXIE_IMAGE:-hakit/debian:trixie}
SYSTEMD_IMAGE=${HAKIT_SYSTEMD_IMAGE:-hakit/debian-systemd:bookworm}
TRIXIE_SYSTEMD_IMAGE=${HAKIT_TRIXIE_SYSTEMD_IMAGE:-hakit/debian-systemd:trixie}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/hakit-dockerd.log}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf '[bootstrap] %s\n' "$*"; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq "$@" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    apt-get install -y -qq "$@" >/dev/null
  fi
}

ensure_venv() {
  local stamp="$VENV/.requirements.sha256" want
  want=$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)
  if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "venv: $VENV up to date"
    return
  fi
  log "venv: installing pinned requirements into $VENV (a few minutes the first time)"
  python3 -m venv "$VENV"
  # pip repeats config warnings (e.g. "Location ... is ignored") on every call: keep its output in
  # a log and show the tail only when it fails.
  local plog="$VENV/pip-install.log"
  : >"$plog"
  pip_quiet "$plog" install --upgrade pip
  pip_quiet "$plog" install -r "$ROOT/requirements.txt"
  echo "$want" > "$stamp"
}

pip_quiet() {
  local plog=$1; shift
  if ! "$VENV/bin/pip" "$@" >>"$plog" 2>&1; then
    tail -n 30 "$plog" >&2
    die "pip $* failed (full log: $plog)"
  fi
}

# Starts a daemon that outlives this script holding none of its file descriptors: one that kept a
# pipe of the caller open (make test's per-stage log tee, `make lab | tee`) would keep that pipe's
# reader waiting for EOF for as long as the daemon runs - a CI run then hangs after this script.
start_detached() {
  local log=$1 fd
  shift
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec ${fd}>&-"; fi
    done
    exec setsid "$@" </dev/null >>"$log" 2>&1
  ) &
}

ensure_docker() {
  if docker info >/dev/null 2>&1; then
    log "docker: engine running"
    return
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    log "docker: dockerd missing, installing docker.io with apt"
    apt_install docker.io iptables
  fi
  log "docker: starting dockerd in the background (log: $DOCKERD_LOG)"
  : >"$DOCKERD_LOG"
  start_detached "$DOCKERD_LOG" dockerd
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
      log "docker: engine ready"
      return
    fi
    sleep 1
  done
  tail -n 30 "$DOCKERD_LOG" >&2 || true
  die "dockerd did not become ready within 60 s (log above: $DOCKERD_LOG)"
}

# ensure_image [RELEASE TAG]: a Debian RELEASE (default bookworm) as TAG (default $IMAGE).
ensure_image() {
  local release=${1:-bookworm} image=${2:-$IMAGE}
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "image: $image present"
    return
  fi
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  # An older debootstrap may lack the script of a newer release; every Debian release since
  # squeeze uses the same one (sid), so fall back to it instead of failing.
  local script=""
  [[ -e /usr/share/debootstrap/scripts/$release ]] || script=/usr/share/debootstrap/scripts/sid
  local dir
  dir=$(mktemp -d /tmp/hakit-rootfs.XXXXXX)
  log "image: debootstrap $release into $dir (a few minutes, once)"
  debootstrap --variant=minbase --include=python3,iproute2,procps \
    "$release" "$dir" "$MIRROR" ${script:+"$script"} >"$dir.log" 2>&1 || { tail -n 30 "$dir.log" >&2; die "debootstrap failed"; }
  rm -f "$dir.log"
  # Keep images small: no apt caches or package lists baked in.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar -C "$dir" -c . | docker import - "$image" >/dev/null
  rm -rf "$dir"
  log "image: $image built"
}

# Like a VM: systemd is PID 1 and nothing else is added (the roles install redis, keepalived...).
# Containers of it are started with --stop-signal SIGRTMIN+3 (systemd's "halt"; docker commit cannot
# set STOPSIGNAL), so docker stop shuts the units down as a reboot would.
# ensure_systemd_image [BASE TAG]: systemd installed into BASE (default $IMAGE), tagged TAG (default
# $SYSTEMD_IMAGE).
ensure_systemd_image() {
  local base=${1:-$IMAGE} tagged=${2:-$SYSTEMD_IMAGE}
  if docker image inspect "$tagged" >/dev/null 2>&1; then
    log "image: $tagged present"
    return
  fi
  # Named after the tag, so a build of another tag (HAKIT_SYSTEMD_IMAGE) never removes this one's.
  local slug=${tagged//[^A-Za-z0-9_.-]/-}
  local name=hakit-build-$slug buildlog=/tmp/hakit-build-$slug.log id init
  docker rm -f "$name" >/dev/null 2>&1 || true
  log "image: installing systemd into a container of $base (once)"
  # set -e: a failed apt-get must fail the build, or an image without systemd gets tagged. Only the
  # masking is best effort (units this image may lack); everything before it must succeed.
  docker run --name "$name" "$base" bash -c '
      set -euo pipefail
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends systemd systemd-sysv >/dev/null
      apt-get clean
      rm -rf /var/lib/apt/lists/*
      systemctl mask systemd-udevd.service systemd-udevd-kernel.socket systemd-udevd-control.socket \
        getty.target console-getty.service systemd-logind.service >/dev/null 2>&1 || true' \
    >"$buildlog" 2>&1 || {
    tail -n 30 "$buildlog" >&2
    docker rm -f "$name" >/dev/null 2>&1 || true
    die "installing systemd into $name failed (log above: $buildlog)"
  }
  # Committed untagged first: the tag is only given to an image whose /sbin/init is systemd.
  id=$(docker commit --change 'CMD ["/sbin/init"]' "$name")
  docker rm -f "$name" >/dev/null
  init=$(docker run --rm --entrypoint /bin/sh "$id" -c \
    'test -x /sbin/init && readlink -f /sbin/init' 2>&1) || true
  if [[ $init != */systemd ]]; then
    docker rmi "$id" >/dev/null 2>&1 || true
    die "the built image has no systemd as /sbin/init (got '${init:-nothing}'): $tagged not tagged (build log: $buildlog)"
  fi
  docker tag "$id" "$tagged"
  rm -f "$buildlog"
  log "image: $tagged built (/sbin/init -> $init)"
}

main() {
  local steps=("$@")
  [[ ${#steps[@]} -gt 0 ]] || steps=(all)
  for s in "${steps[@]}"; do
    case "$s" in
      venv) ensure_venv ;;
      docker) ensure_docker ;;
      image) ensure_docker; ensure_image ;;
      image-systemd) ensure_docker; ensure_image; ensure_systemd_image ;;
      image-trixie) ensure_docker; ensure_image trixie "$TRIXIE_IMAGE" ;;
      image-systemd-trixie)
        ensure_docker; ensure_image trixie "$TRIXIE_IMAGE"; ensure_systemd_image "$TRIXIE_IMAGE" "$TRIXIE_SYSTEMD_IMAGE"
        ;;
      all)
        ensure_venv; ensure_docker; ensure_image
        if [[ ${HAKIT_CHAOS_DISTRO:-} == trixie || ${HAKIT_CHAOS_ENGINE:-}${BENCH_ENGINE:-} == *valkey* ]]; then
          ensure_image trixie "$TRIXIE_IMAGE"
        fi
        ;;
      *) die "unknown step '$s' (expected venv, docker, image, image-systemd, image-trixie, image-systemd-trixie or all)" ;;
    esac
  done
}

main "$@"
