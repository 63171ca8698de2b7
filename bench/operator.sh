#!/usr/bin/env bash
# The operator's two goals (issue 5), measured by its end-to-end tests against the Kubernetes
# API-server test double (tests/k8s/api_server_double.h) and a sandbox PostgreSQL:
#   - a policy edit to an applied status (observedGeneration caught up, Ready=True): median ≤ 1 s
#   - resident memory of `pgpart operator` with 100 policies Ready: ≤ 20 MB
# There is no pg_partman counterpart to run side by side (it has no operator); the latency test
# times each edit against the same operator and database, the memory test compares idle vs loaded.
#
# Usage: bench/operator.sh [BUILD_DIR]   (default build/; run ./scripts/test or cmake first)
# Exit:  0 when both goals are met, 3 when one is missed, 1 on error.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
if [[ ! -x $build/tests/operator_e2e_test ]]; then
  echo "error: $build/tests/operator_e2e_test not built (cmake --build $build -j2)" >&2
  exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
ctest --test-dir "$build" -R 'SpecEditIsApplied|HundredPolicies|pg_sandbox' -V >"$log" 2>&1
code=$?
set -e
grep -E '\[ (latency|scale) \]' "$log" | sed 's/^[0-9]*: //'
if ((code != 0)); then
  grep -E 'Failure|Expected|actual|goal' "$log" | sed 's/^[0-9]*: //' | head -20
  echo "MISS: at least one goal was not met (see above)"
  exit 3
fi
echo "PASS: both goals met"
