#!/usr/bin/env bash
# The shipped suite, warm, on two QEMU builds in turn: the one on the PATH and the one in
# QEMU_B (a directory holding another qemu-system-x86_64, e.g. a newer package unpacked with
# `dpkg -x`). Each keeps its own snapshot cache (a snapshot is QEMU-version bound), warmed by
# a first suite that is not counted. Prints each suite's wall time and what did not pass, with
# how many NETDEV WATCHDOG (transmit queue timeout) lines its kernel log had; then the medians.
# Root, after `npm run setup`:  QEMU_B=/path/to/bin ROUNDS=5 bash bench/qemu-ab.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${QEMU_B:?QEMU_B=DIR: the directory of the other qemu-system-x86_64}"
[ -x "$QEMU_B/qemu-system-x86_64" ] || { echo "no qemu-system-x86_64 in $QEMU_B" >&2; exit 2; }
rounds=${ROUNDS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/snaps-a" "$work/snaps-b"
suite() {  # suite a|b n: one warm suite; prints "wall status-line | not passed"
  local path=$PATH t out=$work/$1-$2
  [ "$1" = b ] && path=$QEMU_B:$PATH
  t=$(date +%s.%N)
  PATH=$path HIL_SNAPSHOT_DIR=$work/snaps-$1 node harness/bin/hil.js run scenarios/ --out "$out" > "$out.log" 2>&1 || true
  echo "$(printf '%.1f' "$(echo "$(date +%s.%N) - $t" | bc)") $(tail -1 "$out.log") | not passed: $(node -e '
    const r = require(process.argv[1]);
    const bad = r.scenarios.filter((s) => s.status !== "passed" && s.status !== "skipped");
    console.log(bad.map((s) => `${s.name} (${(s.kernelLog?.trouble ?? []).filter((t) => /NETDEV WATCHDOG/.test(t)).length} watchdog lines)`).join(", ") || "-");
  ' "$out/report.json")"
}
echo "a: $(qemu-system-x86_64 --version | head -1)"
echo "b: $("$QEMU_B/qemu-system-x86_64" --version | head -1)"
suite a 0 >/dev/null; suite b 0 >/dev/null   # fill each snapshot cache
declare -A walls=([a]='' [b]='')
for i in $(seq "$rounds"); do
  for q in a b; do
    line=$(suite $q "$i")
    walls[$q]+="${line%% *} "
    echo "$q round $i: $line"
  done
done
median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median wall: a $(median "${walls[a]}") s, b $(median "${walls[b]}") s"
