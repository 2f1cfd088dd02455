#!/usr/bin/env bash
# All checks of `make test`, in stages. Each stage is timed; a failing stage does not stop the
# run (one run shows everything), but the exit status is non-zero when any stage failed.
# A stage whose code or tests are missing (no test files, pytest collecting nothing, no install
# script, no molecule scenario) fails, saying what is missing: nothing is ever reported as skipped.
#
#   STAGES="unit molecule" scripts/test.sh     # pick stages (bootstrap always runs first)
#   SCENARIOS="topology1" scripts/test.sh      # pick molecule scenarios
#
# Stage logs are also kept in tests/output/logs/<stage>.log.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2

ALL_STAGES=(bootstrap yamllint ansible-lint ruff sanity unit galaxy-importer docs-lint execution-environment integration preflight molecule install chaos-fast)
# Scenarios run cheapest first, so a broken foundation fails fast; unknown ones follow by name.
SCENARIO_ORDER=(topology1 topology2 topology3 sentinels3 topology4 topology4_3r)
LOGDIR=$ROOT/tests/output/logs
NOTE_FILE=$LOGDIR/.stage-note

declare -a R_NAME=() R_SECS=() R_RESULT=() R_NOTE=()
NOTE="" CURRENT="" CURRENT_START="" STAGE_PID=""

say() { printf '\n== %s\n' "$*"; }
# Seconds since $1 (a `date +%s%N` reading), one decimal.
elapsed() { awk -v ns=$(($(date +%s%N) - $1)) 'BEGIN {printf "%.1f", ns / 1e9}'; }
# Fails the stage because something it needs is missing ($* says what). Stages run in a child
# process: the reason reaches the summary through a file.
missing() {
  echo "$*" >"$NOTE_FILE"
  echo "FAILED: $*" >&2
  return 1
}

# pytest exit 5 = "no tests collected": the suite is missing, which fails the stage like any error.
run_pytest() {
  local rc=0
  pytest "$@" || rc=$?
  if [[ $rc -eq 5 ]]; then
    missing "pytest collected no tests ($*)"
    return
  fi
  return "$rc"
}

# Fails the stage unless directory $1 holds test files.
need_tests() {
  [[ -d $1 ]] || { missing "$1 does not exist"; return; }
  [[ -n $(find "$1" -name 'test_*.py' -print -quit) ]] || missing "no test_*.py files under $1"
}

stage_bootstrap() {
  local engine=0 systemd=0 s
  for s in "${SELECTED[@]}"; do
    # Only container stages need the docker engine and the base image; molecule's scenario
    # topology4_3r also needs the systemd image.
    case $s in
      preflight | install | chaos-fast) engine=1 ;;
      molecule) engine=1 systemd=1 ;;
    esac
  done
  local steps=(venv)
  [[ $engine == 1 ]] && steps=(all)
  [[ $systemd == 1 ]] && steps+=(image-systemd)
  scripts/bootstrap.sh "${steps[@]}"
}

stage_yamllint() { yamllint --strict .; }
stage_ansible-lint() { ansible-lint; }
stage_ruff() { ruff check .; }
stage_sanity() { scripts/sanity.sh; }
# Galaxy's importer, antsibull-docs and ansible-builder, each from its own pinned venv
# (scripts/ecosystem.sh, docs/ecosystem.md).
stage_galaxy-importer() { scripts/ecosystem.sh galaxy-importer; }
stage_docs-lint() { scripts/ecosystem.sh docs-lint; }
stage_execution-environment() { scripts/ecosystem.sh execution-environment; }

stage_unit() {
  need_tests tests/unit || return
  run_pytest tests/unit
}

stage_integration() {
  need_tests tests/integration || return
  run_pytest tests/integration
}

# Bad input is refused before any host changes (real containers, real playbooks).
stage_preflight() {
  need_tests tests/preflight || return
  run_pytest tests/preflight
}

stage_install() {
  [[ -x tests/install/run.sh ]] || { missing "tests/install/run.sh is missing or not executable"; return; }
  tests/install/run.sh
}

stage_chaos-fast() {
  need_tests tests/chaos || return
  if [[ ${HAKIT_CHAOS_ALL:-} == 1 ]]; then
    run_pytest tests/chaos
  else
    run_pytest tests/chaos -m fast
  fi
}

list_scenarios() {
  local found=() s
  for s in molecule/*/molecule.yml; do
    [[ -f $s ]] || continue
    s=${s#molecule/}
    s=${s%/molecule.yml}
    [[ $s == _shared ]] || found+=("$s")
  done
  for s in "${SCENARIO_ORDER[@]}"; do
    [[ " ${found[*]} " == *" $s "* ]] && echo "$s"
  done
  for s in "${found[@]}"; do
    [[ " ${SCENARIO_ORDER[*]} " == *" $s "* ]] || echo "$s"
  done
}

# Runs `$2...` as the stage named $1: times it, logs it, records the result.
run_stage() {
  local name=$1 start rc=0 secs result
  shift
  NOTE=""
  say "$name"
  start=$(date +%s%N)
  CURRENT=$name CURRENT_START=$start
  rm -f "$NOTE_FILE"
  # The stage writes into tee through its own descriptor, and runs in the background so that a
  # TERM reaches the trap at once, not after the stage ends.
  local out tee_pid
  exec {out}> >(tee "$LOGDIR/${name//\//_}.log")
  tee_pid=$!
  "$@" >&"$out" 2>&1 {out}>&- &
  STAGE_PID=$!
  exec {out}>&-
  wait "$STAGE_PID" || rc=$?
  STAGE_PID=""
  # Let tee flush before the next header. It ends once every writer has closed the pipe; a daemon
  # the stage left running with the pipe open would hold it forever, so do not wait past 10 s.
  for _ in {1..100}; do
    kill -0 "$tee_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -f $NOTE_FILE ]] && NOTE=$(<"$NOTE_FILE")
  secs=$(elapsed "$start")
  case $rc in
    0) result=passed ;;
    *) result=failed NOTE=${NOTE:-"exit $rc"} ;;
  esac
  R_NAME+=("$name") R_SECS+=("$secs") R_RESULT+=("$result") R_NOTE+=("$NOTE")
  CURRENT="" CURRENT_START=""
  # One line per stage as it ends: a run cut short (CI's time limit) still shows where time went.
  printf '== %s: %s in %s s\n' "$name" "$result" "$secs"
}

stage_molecule_all() {
  local scenarios=() s
  if [[ -n ${SCENARIOS:-} && ${SCENARIOS} != all ]]; then
    read -r -a scenarios <<<"$SCENARIOS"
  else
    mapfile -t scenarios < <(list_scenarios)
  fi
  if [[ ${#scenarios[@]} -eq 0 ]]; then
    run_stage molecule missing "no molecule/*/molecule.yml scenarios"
    return
  fi
  for s in "${scenarios[@]}"; do
    if [[ ! -f molecule/$s/molecule.yml ]]; then
      run_stage "molecule/$s" false
      R_NOTE[-1]="no such scenario"
      continue
    fi
    run_stage "molecule/$s" molecule test -s "$s"
  done
}

summary() {
  local i passed=0 failed=0
  say "summary"
  printf '%-28s %9s  %-11s %s\n' stage seconds result note
  for i in "${!R_NAME[@]}"; do
    printf '%-28s %9s  %-11s %s\n' "${R_NAME[$i]}" "${R_SECS[$i]}" "${R_RESULT[$i]}" "${R_NOTE[$i]}"
    case ${R_RESULT[$i]} in
      passed) passed=$((passed + 1)) ;;
      failed) failed=$((failed + 1)) ;;
    esac
  done
  echo
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}

# Killed from outside (CI's time limit, Ctrl-C): print the table so far, the running stage marked.
interrupted() {
  [[ -n ${STAGE_PID:-} ]] && kill -TERM "$STAGE_PID" 2>/dev/null
  if [[ -n ${CURRENT:-} ]]; then
    R_NAME+=("$CURRENT") R_RESULT+=(interrupted) R_NOTE+=("stopped from outside")
    R_SECS+=("$(elapsed "$CURRENT_START")")
  fi
  summary
  exit 130
}

main() {
  local s
  trap interrupted TERM INT
  if [[ -n ${STAGES:-} ]]; then
    read -r -a SELECTED <<<"$STAGES"
    for s in "${SELECTED[@]}"; do
      [[ " ${ALL_STAGES[*]} " == *" $s "* ]] || {
        echo "unknown stage '$s' (stages: ${ALL_STAGES[*]})" >&2
        exit 2
      }
    done
  else
    SELECTED=("${ALL_STAGES[@]}")
  fi
  rm -rf "$LOGDIR"
  mkdir -p "$LOGDIR"

  run_stage bootstrap stage_bootstrap
  # Everything after bootstrap uses the venv's tools and sees this tree as hakit.redis.
  # shellcheck source=scripts/env.sh
  source scripts/env.sh
  for s in "${SELECTED[@]}"; do
    case $s in
      bootstrap) ;;
      molecule) stage_molecule_all ;;
      *) run_stage "$s" "stage_$s" ;;
    esac
  done
  summary
}

main
