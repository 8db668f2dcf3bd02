# goals.sh: sourced by the SQL benchmarks (test/bench/sql/*.sh).
# bench_goal MEASURE RESULT GOAL records one goal row for the table that
# run-bench.sh prints last: RESULT is "median [min-max]" or one number, GOAL
# is "<= 1.5", ">= 0.9" or "-" (printed, not judged). Without BENCH_GOALS
# (a script run alone) it does nothing.
bench_goal() {
	[ -n "${BENCH_GOALS:-}" ] || return 0
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$BENCH_GOALS"
}
