#!/usr/bin/env bash
# run-all.sh: the README's test command (`make test`). Installs what is
# missing, builds and installs the extension, then runs every suite:
#   checks     version consistency, exported symbols, callback registrations
#   unit       GoogleTest under ASan/UBSan (src/core)
#   regress    pg_regress (sql/, expected/) on a preloaded throwaway cluster
#   nopreload  pg_regress (test/nopreload) on a cluster without preloading
#   pgtap      pg_prove over test/pgtap/*.sql
#   isolation  pg_isolation_regress over test/isolation/specs (concurrency)
#   adversarial a masked role's attacks must reveal nothing (test/adversarial)
#   roundtrip  pg_dump/pg_restore round trips (test/roundtrip/*.sh)
#   doctests   every ```sql block of doc/*.md runs, doc/examples.md (every
#              public function, view and setting with real output) is current, and doc/reference.md
#              matches the catalog (test/doc)
#   tap        Perl TAP tests with their own clusters (test/tap: replicas)
#   leakscan   no canary value in any server log or result file
# Every cluster is created in a fresh temp dir and destroyed on exit, also on
# failure, so the command can run again at once. The last line is
# "summary: N passed, M failed" (counts of individual tests).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
source test/harness/cluster.sh
trap cluster_destroy_all EXIT

total_passed=0
total_failed=0
failed_suites=()

# record SUITE PASSED FAILED adds a suite's counts to the summary.
record() {
	total_passed=$((total_passed + $2))
	total_failed=$((total_failed + $3))
	if [ "$3" -ne 0 ]; then
		failed_suites+=("$1")
	fi
	echo "== $1: $2 passed, $3 failed"
}

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
if [ -n "${PRIVACY_PG_ROOT:-}" ]; then
	# a private PostgreSQL copy (scripts/private-pg.sh): build against it and
	# install there, leaving the system installation alone
	export PATH="$PRIVACY_PG_ROOT/usr/lib/postgresql/15/bin:$PATH"
	export PG_BINDIR="$PRIVACY_PG_ROOT/usr/lib/postgresql/15/bin"
	sudo_cmd=()
fi

mkdir -p build/logs
echo "== dependencies"
bash scripts/install-deps.sh || exit 1

echo "== build and install"
if ! make -s -j2 >build/logs/build.log 2>&1; then
	tail -60 build/logs/build.log
	echo "summary: 0 passed, 1 failed"
	exit 1
fi
"${sudo_cmd[@]}" make -s install >>build/logs/build.log 2>&1 || { tail -30 build/logs/build.log; echo "summary: 0 passed, 1 failed"; exit 1; }

echo "== checks"
checks_failed=0
bash scripts/check-versions.sh || checks_failed=$((checks_failed + 1))
bash scripts/check-exports.sh pg_privacy.so || checks_failed=$((checks_failed + 1))
bash scripts/check-registrations.sh || checks_failed=$((checks_failed + 1))
record checks $((3 - checks_failed)) $checks_failed

echo "== unit"
unit_out=$(bash test/harness/run-unit.sh 2>&1)
echo "$unit_out" | tail -15
line=$(echo "$unit_out" | grep -E '^unit: [0-9]+ passed, [0-9]+ failed' | tail -1)
if [ -n "$line" ]; then
	record unit "$(echo "$line" | sed 's/unit: \([0-9]*\) passed.*/\1/')" "$(echo "$line" | sed 's/.*, \([0-9]*\) failed/\1/')"
else
	record unit 0 1
fi

# parse_regress FILE prints "passed failed" from pg_regress output.
parse_regress() {
	local out=$1 n m
	if grep -qE 'All [0-9]+ tests passed' "$out"; then
		n=$(sed -n 's/.*All \([0-9]*\) tests passed.*/\1/p' "$out" | tail -1)
		echo "$n 0"
	elif grep -qE '[0-9]+ of [0-9]+ tests failed' "$out"; then
		m=$(sed -n 's/.* \([0-9]*\) of \([0-9]*\) tests failed.*/\1/p' "$out" | tail -1)
		n=$(sed -n 's/.* \([0-9]*\) of \([0-9]*\) tests failed.*/\2/p' "$out" | tail -1)
		echo "$((n - m)) $m"
	else
		echo "0 1"
	fi
}

echo "== regress (preloaded cluster)"
cluster_create main yes && cluster_start main || { record regress 0 1; echo "summary: $total_passed passed, $((total_failed)) failed"; exit 1; }
env $(cluster_env main) make -s installcheck >build/logs/regress.out.log 2>&1
grep -E '^(ok|not ok|test |     )|tests (passed|failed)' build/logs/regress.out.log | tail -60
read -r p f < <(parse_regress build/logs/regress.out.log)
[ "$f" -ne 0 ] && [ -f regression.diffs ] && head -100 regression.diffs
record regress "$p" "$f"

echo "== pgtap"
if ls test/pgtap/*.sql >/dev/null 2>&1; then
	cluster_psql main -d postgres -c 'CREATE DATABASE privacy_tap' &&
		cluster_psql main -d privacy_tap -c 'CREATE EXTENSION pgtap; CREATE EXTENSION pg_privacy;'
	env $(cluster_env main) pg_prove --ext .sql -d privacy_tap test/pgtap/ >build/logs/pgtap.out.log 2>&1
	tail -25 build/logs/pgtap.out.log
	tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' build/logs/pgtap.out.log)
	tap_failed=0
	for n in $(grep -E '^Failed [0-9]+/[0-9]+ subtests' build/logs/pgtap.out.log | sed 's#Failed \([0-9]*\)/.*#\1#'); do
		tap_failed=$((tap_failed + n))
	done
	tests=${tests:-0}
	tap_failed=${tap_failed:-0}
	if grep -q '^Result: PASS' build/logs/pgtap.out.log && [ "$tests" -gt 0 ]; then
		record pgtap "$tests" 0
	else
		[ "$tap_failed" -eq 0 ] && tap_failed=1
		record pgtap "$((tests > tap_failed ? tests - tap_failed : 0))" "$tap_failed"
	fi
else
	record pgtap 0 1
fi
# parse_counts LABEL FILE prints "passed failed" from a "LABEL: N passed, M failed" line.
parse_counts() {
	local line
	line=$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed" "$2" | tail -1)
	if [ -z "$line" ]; then
		echo "0 1"
	else
		echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/'
	fi
}

echo "== adversarial"
env $(cluster_env main) ADVERSARIAL_OUT="$root/build/logs/adversarial" bash test/adversarial/run.sh >build/logs/adversarial.log 2>&1
tail -5 build/logs/adversarial.log
read -r p f < <(parse_counts adversarial build/logs/adversarial.log)
record adversarial "$p" "$f"

echo "== roundtrip"
for script in test/roundtrip/*.sh; do
	name=$(basename "$script" .sh)
	env $(cluster_env main) bash "$script" >"build/logs/roundtrip-$name.log" 2>&1
	tail -3 "build/logs/roundtrip-$name.log"
	label=$(grep -oE '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "build/logs/roundtrip-$name.log" | tail -1 | cut -d: -f1)
	read -r p f < <(parse_counts "${label:-none}" "build/logs/roundtrip-$name.log")
	record "roundtrip/$name" "$p" "$f"
done

echo "== isolation"
iso_bin="$(dirname "$(pg_config --pgxs)")/../../src/test/isolation/pg_isolation_regress"
if [ -x "$iso_bin" ] && ls test/isolation/specs/*.spec >/dev/null 2>&1; then
	rm -rf build/isolation && mkdir -p build/isolation
	env $(cluster_env main) "$iso_bin" --dbname=privacy_isolation --load-extension=pg_privacy --inputdir=test/isolation \
		--outputdir=build/isolation $(cd test/isolation/specs && ls *.spec | sed 's/\.spec$//' | tr '\n' ' ') \
		>build/logs/isolation.out.log 2>&1
	grep -E '^(ok|not ok|test )|tests (passed|failed)' build/logs/isolation.out.log | tail -20
	read -r p f < <(parse_regress build/logs/isolation.out.log)
	[ "$f" -ne 0 ] && [ -f build/isolation/regression.diffs ] && head -60 build/isolation/regression.diffs
	record isolation "$p" "$f"
else
	echo "pg_isolation_regress not found at $iso_bin"
	record isolation 0 1
fi

echo "== doctests"
env $(cluster_env main) DOCTEST_OUT="$root/build/logs/doctests" bash test/doc/run-doctests.sh >build/logs/doctests.log 2>&1
tail -4 build/logs/doctests.log
read -r p f < <(parse_counts doctests build/logs/doctests.log)
record doctests "$p" "$f"
env $(cluster_env main) bash test/doc/check-reference.sh >build/logs/reference.log 2>&1
tail -2 build/logs/reference.log
read -r p f < <(parse_counts reference build/logs/reference.log)
record reference "$p" "$f"
env $(cluster_env main) python3 test/doc/render-examples.py >build/logs/examples.log 2>&1
tail -3 build/logs/examples.log
read -r p f < <(parse_counts examples build/logs/examples.log)
record examples "$p" "$f"

main_log=$(cluster_log main)
cp "$main_log" build/logs/server-main.log 2>/dev/null || true
cluster_destroy main

echo "== regress (cluster without shared_preload_libraries)"
cluster_create nopreload no && cluster_start nopreload || { record nopreload 0 1; }
env $(cluster_env nopreload) make -s installcheck REGRESS_OPTS="--load-extension=pg_privacy --inputdir=test/nopreload --outputdir=test/nopreload" \
	REGRESS="$(cd test/nopreload/sql && ls *.sql | sed 's/\.sql$//' | tr '\n' ' ')" >build/logs/nopreload.out.log 2>&1
grep -E '^(ok|not ok|test )|tests (passed|failed)' build/logs/nopreload.out.log | tail -20
read -r p f < <(parse_regress build/logs/nopreload.out.log)
[ "$f" -ne 0 ] && [ -f test/nopreload/regression.diffs ] && head -60 test/nopreload/regression.diffs
record nopreload "$p" "$f"
cp "$(cluster_log nopreload)" build/logs/server-nopreload.log 2>/dev/null || true
cluster_destroy nopreload

echo "== tap (PostgreSQL::Test::Cluster)"
bash test/tap/run.sh >build/logs/tap.log 2>&1
grep -E '^(ok|not ok)|^Result' build/logs/tap.log | tail -20
tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' build/logs/tap.log)
tests=${tests:-0}
if grep -q '^Result: PASS' build/logs/tap.log && [ "$tests" -gt 0 ]; then
	record tap "$tests" 0
else
	bad=$(grep -c '^not ok' build/logs/tap.log)
	[ "$bad" -eq 0 ] && bad=1
	record tap "$((tests > bad ? tests - bad : 0))" "$bad"
fi

echo "== leakscan"
if bash test/leak/canary-scan.sh --self-test && bash test/leak/canary-scan.sh build/logs/server-main.log build/logs/server-nopreload.log results/*.out test/nopreload/results/*.out build/logs/pgtap.out.log build/logs/adversarial/adv_*.out build/logs/roundtrip-*.log build/logs/tap.log; then
	record leakscan 1 0
else
	record leakscan 0 1
fi

echo
if [ ${#failed_suites[@]} -ne 0 ]; then
	echo "failed suites: ${failed_suites[*]}"
fi
echo "summary: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
