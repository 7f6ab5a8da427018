#!/bin/sh
# Benchmarks `qrng test` against rngtest and ent on the same 256 MiB file, in one run:
# qrng's in-process throughput per test and combined, whole-process wall time and peak memory
# of qrng (compiled binary, Deno, Bun), rngtest (rng-tools5) and ent, and the ratios.
#
#   sh scripts/bench-test.sh [MiB]     (default 256; installs rng-tools5 and ent if missing)
#   RUNS=5 sh scripts/bench-test.sh    (repeats of every measurement; default 3)
#
# The data is AES-128-CTR keystream under a fixed key: ideal-looking and the same every run.
# Every command runs RUNS times and the tables show the best run (lowest CPU time: other jobs
# on a shared machine only ever add time) and the spread (slowest minus best).
set -eu
cd "$(dirname "$0")/.."
MIB="${1:-256}"
RUNS="${RUNS:-3}"
BIN="$PWD/node_modules/.bin"
DATA="${TMPDIR:-/tmp}/qrng-bench-$MIB.bin"

if ! command -v rngtest >/dev/null || ! command -v ent >/dev/null; then
  echo "installing rng-tools5 and ent (Debian packages)..." >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y rng-tools5 ent >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y rng-tools5 ent >/dev/null; }
fi
[ -x dist/qrng ] || npm run build >/dev/null
if [ ! -s "$DATA" ]; then
  head -c "${MIB}M" /dev/zero | openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 00000000000000000000000000000000 > "$DATA"
fi
BYTES=$(wc -c < "$DATA")
echo "data: $DATA, $BYTES bytes; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
echo

RUNS="$RUNS" "$BIN/bun" scripts/bench_test_inprocess.ts "$DATA"
echo

# Whole process: one line per run with wall seconds, CPU seconds (user + system), peak RSS (KiB).
measure() { # name, command...
  name=$1; shift
  run=0
  while [ "$run" -lt "$RUNS" ]; do
    /usr/bin/time -f "%e %U %S %M" -o /tmp/qrng-bench-time "$@" >/dev/null 2>/tmp/qrng-bench-err || true
    read -r secs user sys rss <<EOF
$(tail -n 1 /tmp/qrng-bench-time)
EOF
    echo "$name $secs $(echo "$user + $sys" | bc) $rss"
    run=$((run + 1))
  done
}
{
  measure "qrng-binary" dist/qrng test "$DATA"
  measure "qrng-deno" "$BIN/deno" run --allow-all --quiet cli/main.ts test "$DATA"
  measure "qrng-bun" "$BIN/bun" cli/main.ts test "$DATA"
  measure "qrng-binary-stdin" sh -c "dist/qrng test - < '$DATA'"
  measure "qrng-binary-pipe" sh -c "cat '$DATA' | dist/qrng test -"
  measure "qrng-binary-fips" dist/qrng test --fips "$DATA"
  measure "qrng-binary-ent" dist/qrng test --ent "$DATA"
  measure "rngtest" sh -c "rngtest < '$DATA'"
  measure "ent" ent "$DATA"
} > /tmp/qrng-bench-results
awk -v bytes="$BYTES" -v runs="$RUNS" '
  { n = $1
    if (!(n in cpu)) { order[++count] = n; worst[n] = $3 }
    if (!(n in cpu) || $3 < cpu[n]) { cpu[n] = $3; secs[n] = $2 }
    if ($3 > worst[n]) worst[n] = $3
    if ($4 > rss[n]) rss[n] = $4 }
  END {
    printf "%-18s %7s %7s %7s %9s %12s\n", "whole process", "wall s", "CPU s", "spread", "MB/s CPU", "peak RSS MB"
    for (i = 1; i <= count; i++) { n = order[i]
      printf "%-18s %7.2f %7.2f %7.2f %9.0f %12.1f\n", n, secs[n], cpu[n], worst[n] - cpu[n], bytes / 1e6 / cpu[n], rss[n] / 1024 }
    printf "(best of %d runs by CPU time, its wall time; spread: slowest minus best CPU s; highest RSS)\n", runs
    printf "(the stdin and pipe rows include sh, and cat on the pipe, in their CPU time)\n"
    printf "\nratios (CPU time; wall time in brackets):\n"
    printf "  qrng test (all)  vs rngtest %5.1fx (%4.1fx), vs ent %4.1fx (%4.1fx)\n",
      cpu["rngtest"] / cpu["qrng-binary"], secs["rngtest"] / secs["qrng-binary"],
      cpu["ent"] / cpu["qrng-binary"], secs["ent"] / secs["qrng-binary"]
    printf "  qrng test --fips vs rngtest %5.1fx (%4.1fx); qrng test --ent vs ent %4.1fx (%4.1fx)\n",
      cpu["rngtest"] / cpu["qrng-binary-fips"], secs["rngtest"] / secs["qrng-binary-fips"],
      cpu["ent"] / cpu["qrng-binary-ent"], secs["ent"] / secs["qrng-binary-ent"]
    printf "targets: >= 10x rngtest, >= 4x ent, peak memory < 100 MB\n"
  }' /tmp/qrng-bench-results
rm -f /tmp/qrng-bench-time /tmp/qrng-bench-err /tmp/qrng-bench-results
