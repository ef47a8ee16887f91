#!/usr/bin/env bash
# Counts CPU instructions with valgrind's callgrind, which unlike a time
# does not depend on the load of the machine (docs/benchmarks.md).
#
#   bash bench/callgrind.sh            # (make bench-callgrind) instructions per row event of the catch-up path
#   bash bench/callgrind.sh compress   # instructions per KiB of a record batch, per compression codec
#   KEEP=dir bash bench/callgrind.sh   # keep the callgrind.out files (callgrind_annotate)
#
# The catch-up path is BenchmarkCatchUp_Path (actors/binlog/binlogreader:
# decode, transform, route, canal-json, lz4 record batches), run for 4,000
# and 20,000 row events; the compression figures come from
# BenchmarkRecordSet_Compress (actors/sink/kafkawriter), run for 20 and 60
# batches of about 1 MiB. The difference of the two totals divided by the
# difference of the counts leaves out start-up and the benchmark's setup.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not found: install it (apt-get install valgrind)" >&2; exit 2; }
dir=${KEEP:-$(mktemp -d)}
mkdir -p "$dir"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT

# count PKG BENCH N prints the instructions of BENCH run for N iterations.
# No cgo and no asynchronous preemption: callgrind aborts on Go's
# preemption signals. One P: no idle processor spins looking for work,
# which would count instructions that depend on the machine's load.
count() {
	local bin="$dir/$(basename "$1").test" out="$dir/callgrind.out.$(basename "$1").${2//[^A-Za-z0-9]/_}.$3"
	[ -x "$bin" ] || CGO_ENABLED=0 go test -c -o "$bin" "./$1"
	(cd "$1" && GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 \
		valgrind --tool=callgrind --callgrind-out-file="$out" \
		"$bin" -test.run '^$' -test.bench "^$2\$" -test.benchtime "${3}x" >"$out.txt" 2>&1) || { cat "$out.txt" >&2; exit 1; }
	awk '/^summary:/ {print $2}' "$out"
}

# per PKG BENCH N1 N2 prints (I(N2) - I(N1)) / (N2 - N1).
per() {
	local a b
	a=$(count "$1" "$2" "$3")
	b=$(count "$1" "$2" "$4")
	awk -v a="$a" -v b="$b" -v n1="$3" -v n2="$4" 'BEGIN { printf "%.0f", (b-a)/(n2-n1) }'
}

case "${1:-path}" in
path)
	# Without collections the count is the path's own work and repeats
	# within about 1 %; with them it also depends on how often the
	# collector runs, which in this small heap the size of any pooled
	# buffer changes.
	n=$(GOGC=off per actors/binlog/binlogreader BenchmarkCatchUp_Path 4000 20000)
	echo "$n instructions per row event, GOGC=off (catch-up path: decode, canal-json stage, lz4 record batches)"
	n=$(per actors/binlog/binlogreader BenchmarkCatchUp_Path 4000 20000)
	echo "$n instructions per row event, with the collector (GOGC=${GOGC:-100})"
	;;
compress)
	for c in none gzip snappy lz4 lz4-kafka-go zstd; do
		n=$(per actors/sink/kafkawriter "BenchmarkRecordSet_Compress/$c" 20 60)
		awk -v n="$n" -v c="$c" 'BEGIN { printf "%-13s %8.0f instructions per KiB of records (record batch encoding included)\n", c, n/1024 }'
	done
	;;
*)
	echo "usage: bash bench/callgrind.sh [path|compress]" >&2
	exit 2
	;;
esac
