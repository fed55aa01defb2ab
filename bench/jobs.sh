#!/usr/bin/env bash
# The shipped suite (scenarios/, warm: snapshots present) at --jobs 1, 2, 4 and 8 in one run:
# wall time against --jobs 1 (the plain serial baseline), the harness's peak RSS, the host's
# peak memory in use, and the harness's overhead per scenario (from report.json: the time a
# scenario spends outside its traffic and idle-latency phases).
# Root, after npm run setup:   bash bench/jobs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
snaps=$(mktemp -d)
export HIL_SNAPSHOT_DIR=$snaps CI=true
trap 'rm -rf "$snaps"' EXIT
now() { date +%s.%N; }
used_mb() { free -m | awk '/^Mem:/ {print $3}'; }
node harness/bin/hil.js run scenarios/ --jobs 2 --out "$(mktemp -d)" >/dev/null 2>&1 || true   # saves the snapshots
base=""
printf '| jobs | wall (s) | vs --jobs 1 | harness peak RSS (MB) | host memory in use, peak (MB) | overhead per scenario, median (s) | verdicts |\n|---|---|---|---|---|---|---|\n'
for jobs in 1 2 4 8; do
  out=$(mktemp -d)
  idle=$(used_mb); peak=$idle; hwm=0
  t=$(now)
  node harness/bin/hil.js run scenarios/ --jobs "$jobs" --out "$out" >/dev/null 2>&1 & pid=$!
  while kill -0 $pid 2>/dev/null; do
    v=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || true); [ -n "$v" ] && hwm=$v
    m=$(used_mb); [ "$m" -gt "$peak" ] && peak=$m
    sleep 0.2
  done
  wait $pid || true
  wall=$(echo "$(now) - $t" | bc)
  [ -n "$base" ] || base=$wall
  stats=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1] + "/report.json", "utf8"));
    const over = r.scenarios.map((s) => (s.durationMs - s.steps.filter((x) => x.name === "traffic" || x.name === "idle").reduce((a, x) => a + x.durationMs, 0)) / 1000).sort((a, b) => a - b);
    const n = (st) => r.scenarios.filter((s) => s.status === st).length;
    console.log(`${over[Math.floor(over.length / 2)].toFixed(2)} | ${n("passed")} passed, ${n("failed")} failed, ${n("error")} error`);
  ' "$out")
  printf '| %s | %.1f | %.2fx | %d | %d (idle %d) | %s |\n' "$jobs" "$wall" "$(echo "$base / $wall" | bc -l)" $((hwm / 1024)) "$peak" "$idle" "$stats"
done
