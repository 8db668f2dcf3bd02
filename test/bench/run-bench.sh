#!/usr/bin/env bash
# run-bench.sh: `make bench`. Builds and runs the core Google Benchmark binary
# (release build), then the SQL benchmarks (test/bench/sql/*.sql, in order)
# on a throwaway preloaded cluster. Every figure that matters is printed as a
# ratio measured in this one run; nothing here fails on timing.
# BENCH_SQL=PATTERN[,PATTERN...] runs only the SQL benchmarks whose file name
# contains one of the patterns (e.g. BENCH_SQL=retention; 00_setup.sql always
# runs) and skips the core benchmarks.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
source test/harness/cluster.sh
trap cluster_destroy_all EXIT

bash scripts/install-deps.sh
make -s >/dev/null
if [ "$(id -u)" -ne 0 ]; then sudo make -s install >/dev/null; else make -s install >/dev/null; fi

# the goals each benchmark measured, printed as one table at the end
mkdir -p build/bench
export BENCH_GOALS=$root/build/bench/goals.tsv
: >"$BENCH_GOALS"

if [ -z "${BENCH_SQL:-}" ]; then
echo "== core benchmarks (Google Benchmark, release build)"
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DPRIVACY_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench --target privacy_bench -j2 >/dev/null
./build/bench/privacy_bench --benchmark_min_time=${BENCH_MIN_TIME:-0.2} ${BENCH_FILTER:+--benchmark_filter=$BENCH_FILTER} \
	--benchmark_out=build/bench/core.json --benchmark_out_format=json
echo
echo "== FF1 against its AES floor (median of ${BENCH_ROUNDS:-15} interleaved rounds, thread CPU time)"
python3 test/bench/core/summary.py build/bench/core.json
fi

echo
echo "== SQL benchmarks (ratios measured in one run)"
cluster_create bench yes
cluster_start bench
cluster_psql bench -d postgres -c 'CREATE DATABASE privacy_bench'
cluster_psql bench -d privacy_bench -c 'CREATE EXTENSION pg_privacy'
# selected FILE: whether BENCH_SQL selects the benchmark FILE
selected() {
	local pattern
	[ -z "${BENCH_SQL:-}" ] || [ "$(basename "$1")" = 00_setup.sql ] && return 0
	for pattern in ${BENCH_SQL//,/ }; do
		[[ "$(basename "$1")" == *"$pattern"* ]] && return 0
	done
	return 1
}
for f in test/bench/sql/*.sql; do
	selected "$f" || continue
	echo "-- $(basename "$f")"
	cluster_psql bench -d privacy_bench -P footer=off -f "$f"
done
for f in test/bench/sql/*.sh; do
	[ -f "$f" ] || continue
	selected "$f" || continue
	echo "-- $(basename "$f")"
	env $(cluster_env bench) PGDATABASE=privacy_bench bash "$f"
done

# the goals SQL benchmarks recorded in the database, then the whole table
cluster_psql bench -d privacy_bench -X -At -F $'\t' \
	-c 'SELECT measure, result, goal FROM bench.goals ORDER BY seq' >>"$BENCH_GOALS"
echo
echo "== goals of this run (judged on the median; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
python3 test/bench/goals.py "$BENCH_GOALS"
