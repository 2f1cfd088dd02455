#!/usr/bin/env bash
# make bench: topology-4 converge/re-run times and failover figures (bench/bench.py).
#   BENCH_PARTS=all               comma-separated: converge,kill,node-loss,switchover,rolling-restart,
#                                 partition,split-brain (the lab is always converged once;
#                                 BENCH_PARTS=converge measures the converge figures alone)
#   BENCH_RERUNS=3                idempotent re-runs after the first converge (min/median/max)
#   BENCH_RUNS=3                  repetitions of every fault (min/median/max in the table)
#   HAKIT_CHAOS_DOWN_AFTER_MS=5000  sentinel down-after-milliseconds of the bench lab (the role's default)
#   HAKIT_CHAOS_NET=9             the lab on hakit-chaos9 (172.28.9.0/24) instead of hakit-chaos
#   HAKIT_CHAOS_TLS=1             the lab with redis_tls + client certificates; node-loss rows say (TLS)
# Playbook runs get ansible.posix.profile_tasks and bench/callback_plugins/hakit_module_calls
# (ANSIBLE_CALLBACKS_ENABLED/ANSIBLE_CALLBACK_PLUGINS, set by bench.py for its own runs only).
# Uses the chaos lab's network hakit-chaos (172.28.8.0/24): do not run it beside `make chaos`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
exec python "$ROOT/bench/bench.py" "$@"
