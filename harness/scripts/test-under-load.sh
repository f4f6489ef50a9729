#!/usr/bin/env bash
# Runs the test suite RUNS times while two busy loops keep both cores busy at the same niceness
# as the tests, and prints every failure: the proof that no test depends on this machine's speed.
# Needs the machine to itself (other load makes the figure meaningless either way).
#
#   make test-under-load                          # the whole suite, 10 times
#   RUNS=2 make test-under-load                   # fewer rounds
#   harness/scripts/test-under-load.sh harness/test/engine-native.test.ts   # some files only
#
# env: RUNS (10), NICE (10: niceness of the suite and of the busy loops alike),
#      OUT (reports/test-under-load-<time>/: one vitest JSON report and log per round)
# Exit code: 0 when every round passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-10}
NICE=${NICE:-10}
OUT=${OUT:-reports/test-under-load-$(date -u +%Y-%m-%dT%H-%M-%SZ)}
mkdir -p "$OUT"

npm run build >/dev/null

busy=()
stop_busy() {
  for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${busy[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_busy EXIT INT TERM
if command -v stress-ng >/dev/null; then
  nice -n "$NICE" stress-ng --cpu 2 --quiet &
  busy+=($!)
  how="stress-ng --cpu 2"
else
  for _ in 1 2; do
    nice -n "$NICE" sh -c 'while :; do :; done' &
    busy+=($!)
  done
  how="two shell busy loops"
fi
echo "both cores kept busy by $how (nice $NICE); $RUNS round(s) of: npx vitest run $*"

failed_rounds=0
for round in $(seq 1 "$RUNS"); do
  started=$(date +%s)
  set +e
  nice -n "$NICE" npx vitest run --reporter=dot --reporter=json --outputFile.json="$OUT/round-$round.json" "$@" >"$OUT/round-$round.log" 2>&1
  code=$?
  set -e
  seconds=$(( $(date +%s) - started ))
  summary=$(node -e '
    const fs = require("node:fs")
    const file = process.argv[1]
    if (!fs.existsSync(file)) { console.log("no JSON report (vitest crashed?): see the log"); process.exit(0) }
    const r = JSON.parse(fs.readFileSync(file, "utf8"))
    const failed = r.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === "failed").map((a) => `${f.name.replace(process.cwd() + "/", "")} > ${a.fullName}`))
    const broken = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.every((a) => a.status !== "failed")).map((f) => `${f.name.replace(process.cwd() + "/", "")} (file failed: ${(f.message || "").split("\n")[0]})`)
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed of ${r.numTotalTests}`)
    for (const name of [...failed, ...broken]) console.log(`  FAILED ${name}`)
  ' "$OUT/round-$round.json")
  echo "round $round: exit $code in ${seconds} s: $summary"
  if [ "$code" -ne 0 ]; then failed_rounds=$((failed_rounds + 1)); fi
done

echo "$failed_rounds of $RUNS round(s) had failures; reports and logs in $OUT"
[ "$failed_rounds" -eq 0 ]
