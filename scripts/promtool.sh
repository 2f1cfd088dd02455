#!/usr/bin/env bash
# promtool (Debian's `prometheus` package) on the example alerting rules: `promtool check rules`
# and the unit tests `promtool test rules tests/prometheus/alerts_test.yml` (stage `alerts` of make
# test). promtool runs in a container of hakit/promtool:bookworm, built once from the base image
# and reused: only promtool (a static binary) is taken out of Debian's package, whose dependencies
# (the server's web assets) would triple the image; the only download is from Debian's mirror. The
# test itself runs with no network and the tree mounted read-only.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${HAKIT_IMAGE:-hakit/debian:bookworm}
PROMTOOL_IMAGE=${HAKIT_PROMTOOL_IMAGE:-hakit/promtool:bookworm}
RULES=roles/exporter/files/prometheus/hakit-redis-alerts.yml
TESTS=tests/prometheus/alerts_test.yml

log() { printf '[promtool] %s\n' "$*"; }
die() { printf '[promtool] ERROR: %s\n' "$*" >&2; exit 1; }

ensure_image() {
  docker image inspect "$PROMTOOL_IMAGE" >/dev/null 2>&1 && return
  docker image inspect "$IMAGE" >/dev/null 2>&1 || "$ROOT/scripts/bootstrap.sh" image
  local name=hakit-build-promtool buildlog=/tmp/hakit-build-promtool.log id
  docker rm -f "$name" >/dev/null 2>&1 || true
  log "image: promtool from Debian's prometheus package into a container of $IMAGE (once)"
  docker run --name "$name" "$IMAGE" bash -c '
      set -euo pipefail
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      cd /tmp
      apt-get download -qq prometheus
      dpkg-deb -x prometheus_*.deb /tmp/prometheus
      install -m 0755 /tmp/prometheus/usr/bin/promtool /usr/local/bin/promtool
      rm -rf /tmp/prometheus prometheus_*.deb /var/lib/apt/lists/*
      promtool --version' >"$buildlog" 2>&1 || {
    tail -n 30 "$buildlog" >&2
    docker rm -f "$name" >/dev/null 2>&1 || true
    die "installing prometheus into $name failed (log above: $buildlog)"
  }
  id=$(docker commit "$name")
  docker rm -f "$name" >/dev/null
  docker tag "$id" "$PROMTOOL_IMAGE"
  log "image: $PROMTOOL_IMAGE built ($(grep -m1 -o 'promtool, version [^ ]*' "$buildlog" || echo promtool))"
  rm -f "$buildlog"
}

ensure_image
docker run --rm --network none -v "$ROOT:/src:ro" -w /src "$PROMTOOL_IMAGE" \
  sh -c "promtool check rules $RULES && promtool test rules $TESTS"
