#!/usr/bin/env bash
# All checks of `make test`, in stages. Each stage is timed; a failing stage does not stop the
# run (one run shows everything), but the exit status is non-zero when any stage failed.
# A stage whose code or tests are missing (no test files, pytest collecting nothing, no install
# script, no molecule scenario) fails, saying what is missing: nothing is ever reported as skipped.
#
#   STAGES="unit molecule" scripts/test.sh     # pick stages (bootstrap always runs first)
#   SCENARIOS="topology1" scripts/test.sh      # pick molecule scenarios
#   HAKIT_TEST_JOBS=1 scripts/test.sh          # one lane, every stage's output on the terminal
#   HAKIT_CHAOS_ALL=1 scripts/test.sh          # make test-full: the whole chaos suite and the
#                                              # FULL_ONLY_SCENARIOS too
#
# Stage logs are kept in tests/output/logs/<stage>.log. With more than one lane (the default is
# two) the terminal shows each stage's start and end, and the log's tail when a stage fails.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2

ALL_STAGES=(bootstrap yamllint ansible-lint ruff sanity unit alerts galaxy-importer docs-lint execution-environment integration preflight molecule install chaos-fast)
# Scenarios run cheapest first, so a broken foundation fails fast; unknown ones follow by name.
SCENARIO_ORDER=(topology1 topology2 topology3 sentinels3 topology4 topology4_3r trixie_valkey trixie_redis trixie_valkey_systemd)
# Scenarios only make test-full runs (HAKIT_CHAOS_ALL=1) when no SCENARIOS are given: they prove
# nothing make test's own scenarios do not, on CI's time budget (trixie_redis: topology 4 on Redis 8,
# the same roles and tasks as trixie_valkey with the other engine's vars). SCENARIOS=NAME runs one
# of them anyway. trixie_valkey_systemd: Valkey's systemd units and the day-2 playbooks on them
# (rolling_restart, remove_node), minutes of converge and restarts.
FULL_ONLY_SCENARIOS=(trixie_redis trixie_valkey_systemd)
# Scenarios whose containers run Debian 13: bootstrap builds hakit/debian:trixie for them, and
# hakit/debian-systemd:trixie for those that run systemd as PID 1.
TRIXIE_SCENARIOS=(trixie_valkey trixie_redis trixie_valkey_systemd)
TRIXIE_SYSTEMD_SCENARIOS=(trixie_valkey_systemd)
# Lanes: the stages after bootstrap share out between this many parallel lanes (containers of
# different stages live on different subnets). Most of a stage's time is spent waiting on
# Sentinel timeouts and `docker exec`, so two lanes on two cores take about half the wall time.
JOBS=${HAKIT_TEST_JOBS:-2}
# Started first when lanes run in parallel: the longest jobs, so no lane ends with one of them
# alone. The others follow in the order of ALL_STAGES.
LONGEST_FIRST=(chaos-fast molecule/tls molecule/trixie_valkey molecule/topology4_3r molecule/topology4)
LOGDIR=$ROOT/tests/output/logs
NOTE_FILE=$LOGDIR/.stage-note
RESULTS=$LOGDIR/.results
QUEUE=$LOGDIR/.queue
RUN_START=$(date +%s%N)

declare -A ORDER_OF=()
declare -a LANE_PIDS=() JOB_LIST=()
CURRENT="" CURRENT_START="" STAGE_PID="" LANE=1

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
  local engine=0 systemd=0 trixie=0 trixie_systemd=0 s sc
  for s in "${SELECTED[@]}"; do
    # Only container stages need the docker engine and the base image; molecule's scenario
    # topology4_3r also needs the systemd image, the trixie_* scenarios and the preflight stage the
    # trixie image (built only when one of them runs; `all` builds it for a chaos run on
    # HAKIT_CHAOS_DISTRO=trixie), trixie_valkey_systemd the systemd one built from it.
    case $s in
      alerts | install | chaos-fast) engine=1 ;;
      # issue 16's refusals (Valkey with TLS, release and engine mixes) run on trixie nodes
      preflight) engine=1 trixie=1 ;;
      molecule)
        engine=1 systemd=1
        for sc in $(selected_scenarios); do
          [[ " ${TRIXIE_SCENARIOS[*]} " == *" $sc "* ]] && trixie=1
          [[ " ${TRIXIE_SYSTEMD_SCENARIOS[*]} " == *" $sc "* ]] && trixie_systemd=1
        done
        ;;
    esac
  done
  local steps=(venv)
  [[ $engine == 1 ]] && steps=(all)
  [[ $systemd == 1 ]] && steps+=(image-systemd)
  [[ $trixie == 1 ]] && steps+=(image-trixie)
  [[ $trixie_systemd == 1 ]] && steps+=(image-systemd-trixie)
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

# promtool test rules on the example alerting rules (scripts/promtool.sh: Debian's promtool in a
# container, its image built once; ~3 s after that).
stage_alerts() { scripts/promtool.sh; }

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
    run_pytest tests/chaos || return
    # The TLS lab (its own converge): the certificate rotation under a steady writer.
    HAKIT_CHAOS_TLS=1 run_pytest tests/chaos/test_tls.py
  else
    run_pytest tests/chaos -m fast
  fi
}

list_scenarios() {
  local found=() s listed=" "
  for s in molecule/*/molecule.yml; do
    [[ -f $s ]] || continue
    s=${s#molecule/}
    s=${s%/molecule.yml}
    [[ $s == _shared ]] || found+=("$s")
  done
  for s in "${SCENARIO_ORDER[@]}" "${found[@]}"; do
    # existing ones, each once: the ordered ones first, then the others by name
    [[ " ${found[*]} " == *" $s "* && $listed != *" $s "* ]] || continue
    listed+="$s "
    [[ ${HAKIT_CHAOS_ALL:-} != 1 && " ${FULL_ONLY_SCENARIOS[*]} " == *" $s "* ]] && continue
    echo "$s"
  done
}

# The scenarios this run's molecule stage runs: SCENARIOS, else every one (without the full-only
# ones unless HAKIT_CHAOS_ALL=1).
selected_scenarios() {
  if [[ -n ${SCENARIOS:-} && ${SCENARIOS} != all ]]; then
    echo "$SCENARIOS"
  else
    list_scenarios
  fi
}

# The command of job $1: a stage, or one molecule scenario (molecule/NAME).
run_job() {
  case $1 in
    molecule/*)
      [[ -f $1/molecule.yml ]] || { missing "no such scenario"; return; }
      molecule test -s "${1#molecule/}"
      ;;
    *) "stage_$1" ;;
  esac
}

# Appends one row to the results file: rows come from several lanes, the summary sorts them.
record() { # name secs result note
  printf '%s\t%s\t%s\t%s\t%s\n' "${ORDER_OF[$1]:-0}" "$1" "$2" "$3" "$4" >>"$RESULTS"
}

# Runs job $1: times it, logs it, records the result. With one lane its output streams to the
# terminal as well; with several, only the log gets it and a failure prints the log's tail.
run_stage() {
  local name=$1 start rc=0 secs result note="" log
  log=$LOGDIR/${name//\//_}.log
  start=$(date +%s%N)
  CURRENT=$name CURRENT_START=$start
  rm -f "$NOTE_FILE"
  if [[ $JOBS == 1 ]]; then
    say "$name"
    # The stage writes into tee through its own descriptor, and runs in the background so that a
    # TERM reaches the trap at once, not after the stage ends.
    local out tee_pid
    exec {out}> >(tee "$log")
    tee_pid=$!
    run_job "$name" >&"$out" 2>&1 {out}>&- &
    STAGE_PID=$!
    exec {out}>&-
    wait "$STAGE_PID" || rc=$?
    # Let tee flush before the next header. It ends once every writer has closed the pipe; a
    # daemon the stage left running with the pipe open would hold it forever: 10 s at most.
    for _ in {1..100}; do
      kill -0 "$tee_pid" 2>/dev/null || break
      sleep 0.1
    done
  else
    printf '== %s: started (lane %s)\n' "$name" "$LANE"
    run_job "$name" >"$log" 2>&1 </dev/null &
    STAGE_PID=$!
    wait "$STAGE_PID" || rc=$?
  fi
  STAGE_PID=""
  [[ -f $NOTE_FILE ]] && note=$(<"$NOTE_FILE")
  secs=$(elapsed "$start")
  case $rc in
    0) result=passed ;;
    *) result=failed note=${note:-"exit $rc"} ;;
  esac
  if [[ $JOBS != 1 && $result == failed ]]; then
    printf '\n== %s failed: last 150 lines of %s\n' "$name" "${log#"$ROOT"/}"
    tail -n 150 "$log"
  fi
  record "$name" "$secs" "$result" "$note"
  CURRENT="" CURRENT_START=""
  # One line per stage as it ends: a run cut short (CI's time limit) still shows where time went.
  printf '== %s: %s in %s s\n' "$name" "$result" "$secs"
}

# The jobs of this run, one per line: stages, `molecule` expanded into one job per scenario.
list_jobs() {
  local s scenarios=() sc
  for s in "${SELECTED[@]}"; do
    case $s in
      bootstrap) ;;
      molecule)
        read -r -a scenarios <<<"$(selected_scenarios | tr '\n' ' ')"
        [[ ${#scenarios[@]} -eq 0 ]] && echo molecule
        for sc in "${scenarios[@]}"; do echo "molecule/$sc"; done
        ;;
      *) echo "$s" ;;
    esac
  done
}
# Only reached when no scenario exists at all: the stage fails, saying so.
stage_molecule() { missing "no molecule/*/molecule.yml scenarios"; }

# Takes the next job off the shared queue (empty when none is left).
next_job() {
  local lock job
  exec {lock}>"$QUEUE.lock"
  flock "$lock"
  job=$(head -n 1 "$QUEUE")
  sed -i 1d "$QUEUE"
  exec {lock}>&-
  printf '%s' "$job"
}

# One lane: takes jobs off the queue until it is empty.
lane() {
  local job
  LANE=$1 NOTE_FILE=$LOGDIR/.stage-note-$1
  trap lane_interrupted TERM INT
  while job=$(next_job) && [[ -n $job ]]; do
    run_stage "$job"
  done
}

# TERM to process $1 and all its descendants (pytest, molecule, ansible-playbook under a stage),
# the children first: once their parent is gone they could no longer be found.
kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do kill_tree "$child"; done
  kill -TERM "$1" 2>/dev/null
}

# A lane stopped from outside (CI's time limit, Ctrl-C): its running stage is marked.
lane_interrupted() {
  [[ -n ${STAGE_PID:-} ]] && kill_tree "$STAGE_PID"
  [[ -n ${CURRENT:-} ]] && record "$CURRENT" "$(elapsed "$CURRENT_START")" interrupted "stopped from outside"
  exit 130
}

summary() {
  local passed=0 failed=0 interrupted=0 name secs result note
  say "summary"
  printf '%-28s %9s  %-11s %s\n' stage seconds result note
  while IFS=$'\t' read -r _ name secs result note; do
    printf '%-28s %9s  %-11s %s\n' "$name" "$secs" "$result" "$note"
    case $result in
      passed) passed=$((passed + 1)) ;;
      interrupted) interrupted=$((interrupted + 1)) ;;
      *) failed=$((failed + 1)) ;;
    esac
  done < <(sort -t $'\t' -k1,1n -s "$RESULTS")
  echo
  printf '%s passed, %s failed, %s interrupted; %s s wall in %s lane(s)\n' \
    "$passed" "$failed" "$interrupted" "$(elapsed "$RUN_START")" "$JOBS"
  [[ $failed -eq 0 && $interrupted -eq 0 ]]
}

# Killed from outside: the lanes mark their running stages, then the table so far is printed.
interrupted() {
  local pid
  for pid in "${LANE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait
  summary
  exit 130
}

main() {
  local s i job
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
  [[ $JOBS =~ ^[1-9][0-9]*$ ]] || {
    echo "HAKIT_TEST_JOBS must be a positive number of lanes, not '$JOBS'" >&2
    exit 2
  }
  rm -rf "$LOGDIR"
  mkdir -p "$LOGDIR"
  : >"$RESULTS"

  JOBS_KEPT=$JOBS JOBS=1
  run_stage bootstrap stage_bootstrap
  JOBS=$JOBS_KEPT
  # Everything after bootstrap uses the venv's tools and sees this tree as hakit.redis.
  # shellcheck source=scripts/env.sh
  source scripts/env.sh

  mapfile -t JOB_LIST < <(list_jobs)
  for i in "${!JOB_LIST[@]}"; do ORDER_OF[${JOB_LIST[$i]}]=$((i + 1)); done
  # The queue starts with the longest jobs, so the lanes end close together; the rest follow
  # in the table's order.
  : >"$QUEUE"
  for job in "${LONGEST_FIRST[@]}"; do
    [[ -n ${ORDER_OF[$job]:-} && $JOBS != 1 ]] && echo "$job" >>"$QUEUE"
  done
  for job in "${JOB_LIST[@]}"; do
    grep -qxF -- "$job" "$QUEUE" || echo "$job" >>"$QUEUE"
  done
  for ((i = 1; i <= JOBS; i++)); do
    lane "$i" &
    LANE_PIDS+=($!)
  done
  wait "${LANE_PIDS[@]}"
  summary
}

main
