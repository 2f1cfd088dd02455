#!/usr/bin/env bash
# make test-matrix: the fast suites against every supported ansible-core (meta/runtime.yml), each
# in its own venv .cache/venvs/core-X.Y from tests/ecosystem/requirements-core-X.Y.txt.
# yamllint, ansible-lint and ruff do not depend on ansible-core and run once, in `make test`.
#
#   MATRIX="2.18 2.19" SUITES="sanity unit molecule" scripts/matrix.sh   # the defaults
#   MATRIX_SCENARIO=topology1                                          # the molecule scenario
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
# shellcheck source=scripts/env.sh
source scripts/env.sh
read -r -a VERSIONS <<<"${MATRIX:-2.18 2.19}"
read -r -a SUITES <<<"${SUITES:-sanity unit molecule}"
SCENARIO=${MATRIX_SCENARIO:-topology1}
LOGDIR=$ROOT/tests/output/matrix
declare -a ROWS=()
failed=0

# The molecule suite needs the docker engine and the base image, like `make molecule`.
if [[ " ${SUITES[*]} " == *" molecule "* ]]; then
  scripts/bootstrap.sh all || exit 1
fi
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

run_suite() {
  local version=$1 suite=$2 venv=$3
  # The version's venv comes first on PATH (ansible-*, pytest, molecule); its `ansible` package
  # brings the collections molecule needs (community.docker), as in the main venv.
  (
    export VENV=$venv
    # shellcheck source=scripts/env.sh
    source scripts/env.sh
    ansible --version | sed -n 1p
    case $suite in
      sanity) scripts/sanity.sh ;;
      unit) pytest -q tests/unit ;;
      molecule) molecule test -s "$SCENARIO" ;;
      *) echo "unknown suite $suite" >&2 && exit 2 ;;
    esac
  )
}

for version in "${VERSIONS[@]}"; do
  venv=$(scripts/ecosystem.sh venv "core-$version") || {
    ROWS+=("$(printf '%-8s %-10s %8s  %s' "$version" venv - failed)")
    failed=1
    continue
  }
  for suite in "${SUITES[@]}"; do
    printf '\n== ansible-core %s: %s\n' "$version" "$suite"
    start=$(date +%s)
    log=$LOGDIR/core-$version-$suite.log
    if run_suite "$version" "$suite" "$venv" >"$log" 2>&1; then
      result=passed
    else
      result=failed failed=1
      tail -n 30 "$log"
    fi
    ROWS+=("$(printf '%-8s %-10s %8s  %s' "$version" "$suite" "$(($(date +%s) - start))" "$result")")
    printf '== ansible-core %s: %s %s (log: %s)\n' "$version" "$suite" "$result" "$log"
  done
done

printf '\n== matrix\n%-8s %-10s %8s  %s\n' ansible suite seconds result
printf '%s\n' "${ROWS[@]}"
exit "$failed"
