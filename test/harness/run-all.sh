#!/usr/bin/env bash
# run-all.sh: the README's test command (`make test`). Installs what is
# missing, builds and installs the extension, then runs every suite:
#   checks     version consistency, exported symbols, callback registrations,
#              the PGXN zip (make dist) and its META.json, every SQLSTATE the
#              source raises listed in doc/troubleshooting.md, C++ formatted
#              as .clang-format says with lines within 100 columns
#   unit       GoogleTest under ASan/UBSan (src/core)
#   regress    pg_regress (sql/, expected/) on a preloaded throwaway cluster
#   nopreload  pg_regress (test/nopreload) on a cluster without preloading
#   pgtap      pg_prove over test/pgtap/*.sql
#   isolation  pg_isolation_regress over test/isolation/specs (concurrency)
#   adversarial a masked role's attacks must reveal nothing (test/adversarial)
#   roundtrip  pg_dump/pg_restore round trips (test/roundtrip/*.sh)
#   upgrade    ALTER EXTENSION UPDATE from every released version: enforcement
#              unchanged, schema equal to a fresh install (test/upgrade)
#   doctests   every ```sql block of doc/*.md runs, doc/examples.md (every
#              public function, view and setting with real output) is current, and doc/reference.md
#              matches the catalog (test/doc)
#   tap        Perl TAP tests with their own clusters (test/tap: replicas)
#   leakscan   no canary value in any server log or result file
#   citus      test/citus: a coordinator and two workers, when Citus is
#              installed (otherwise "citus: skipped", counted neither way)
# then every suite that needs a server again under a clock 400 days ahead,
# another time zone and another superuser name (shifted/...), and last
#   package    make deb, dpkg -i, pg_regress against the installed package
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
bash scripts/build-dist.sh >/dev/null || checks_failed=$((checks_failed + 1))
# doc/troubleshooting.md lists every SQLSTATE the source raises (and the
# check catches a missing one)
bash test/doc/check-sqlstates.sh || checks_failed=$((checks_failed + 1))
bash test/doc/check-sqlstates.sh --self-test || checks_failed=$((checks_failed + 1))
bash scripts/check-format.sh || checks_failed=$((checks_failed + 1))
record checks $((7 - checks_failed)) $checks_failed

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

# cluster_suites PREFIX runs every suite that needs a server, on fresh
# throwaway clusters, recording each suite as PREFIX<suite> and writing its
# logs to build/logs/PREFIX. It runs twice: as it is, then under a clock
# shifted 400 days ahead (libfaketime), in another time zone and with a
# superuser that is not called postgres, so no test can depend on the day,
# the zone or the superuser's name.
cluster_suites() {
	local pfx=$1 logs p f
	logs=build/logs${pfx:+/${pfx%/}}
	mkdir -p "$logs"
	echo "== ${pfx}regress (preloaded cluster)"
	cluster_create main yes && cluster_start main || { record "${pfx}regress" 0 1; return; }
	if [ -n "${FAKETIME:-}" ]; then
		# the servers must see the shifted clock, or the pass proves nothing
		local real server
		real=$(env -u LD_PRELOAD date -u +%s)
		server=$(cluster_psql main -d postgres -Atc 'SELECT extract(epoch FROM now())::bigint')
		echo "server clock: $(cluster_psql main -d postgres -Atc 'SELECT now()'), $(((server - real) / 86400)) days ahead"
		if [ $((server - real)) -gt $((300 * 86400)) ]; then record "${pfx}clock" 1 0; else record "${pfx}clock" 0 1; fi
	fi
	env $(cluster_env main) make -s installcheck >$logs/regress.out.log 2>&1
	grep -E '^(ok|not ok|test |     )|tests (passed|failed)' $logs/regress.out.log | tail -60
	read -r p f < <(parse_regress $logs/regress.out.log)
	[ "$f" -ne 0 ] && [ -f regression.diffs ] && head -100 regression.diffs
	record "${pfx}regress" "$p" "$f"

	echo "== ${pfx}pgtap"
	if ls test/pgtap/*.sql >/dev/null 2>&1; then
		cluster_psql main -d postgres -c 'CREATE DATABASE privacy_tap' &&
			cluster_psql main -d privacy_tap -c 'CREATE EXTENSION pgtap; CREATE EXTENSION pg_privacy;'
		env $(cluster_env main) pg_prove --ext .sql -d privacy_tap test/pgtap/ >$logs/pgtap.out.log 2>&1
		tail -25 $logs/pgtap.out.log
		tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' $logs/pgtap.out.log)
		tap_failed=0
		for n in $(grep -E '^Failed [0-9]+/[0-9]+ subtests' $logs/pgtap.out.log | sed 's#Failed \([0-9]*\)/.*#\1#'); do
			tap_failed=$((tap_failed + n))
		done
		tests=${tests:-0}
		tap_failed=${tap_failed:-0}
		if grep -q '^Result: PASS' $logs/pgtap.out.log && [ "$tests" -gt 0 ]; then
			record "${pfx}pgtap" "$tests" 0
		else
			[ "$tap_failed" -eq 0 ] && tap_failed=1
			record "${pfx}pgtap" "$((tests > tap_failed ? tests - tap_failed : 0))" "$tap_failed"
		fi
	else
		record "${pfx}pgtap" 0 1
	fi

	echo "== ${pfx}adversarial"
	env $(cluster_env main) ADVERSARIAL_OUT="$root/$logs/adversarial" bash test/adversarial/run.sh >$logs/adversarial.log 2>&1
	tail -5 $logs/adversarial.log
	read -r p f < <(parse_counts adversarial $logs/adversarial.log)
	record "${pfx}adversarial" "$p" "$f"

	echo "== ${pfx}roundtrip"
	for script in test/roundtrip/*.sh; do
		name=$(basename "$script" .sh)
		env $(cluster_env main) bash "$script" >"$logs/roundtrip-$name.log" 2>&1
		tail -3 "$logs/roundtrip-$name.log"
		label=$(grep -oE '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$logs/roundtrip-$name.log" | tail -1 | cut -d: -f1)
		read -r p f < <(parse_counts "${label:-none}" "$logs/roundtrip-$name.log")
		record "${pfx}roundtrip/$name" "$p" "$f"
	done

	echo "== ${pfx}upgrade"
	env $(cluster_env main) bash test/upgrade/run.sh >$logs/upgrade.log 2>&1
	grep -E '^(ok|not ok)' $logs/upgrade.log | tail -20
	read -r p f < <(parse_counts upgrade $logs/upgrade.log)
	[ "$f" -ne 0 ] && grep -vE '^(ok|not ok)' $logs/upgrade.log | head -80
	record "${pfx}upgrade" "$p" "$f"

	echo "== ${pfx}isolation"
	iso_bin="$(dirname "$(pg_config --pgxs)")/../../src/test/isolation/pg_isolation_regress"
	if [ -x "$iso_bin" ] && ls test/isolation/specs/*.spec >/dev/null 2>&1; then
		rm -rf build/isolation && mkdir -p build/isolation
		env $(cluster_env main) "$iso_bin" --dbname=privacy_isolation --load-extension=pg_privacy --inputdir=test/isolation \
			--outputdir=build/isolation $(cd test/isolation/specs && ls *.spec | sed 's/\.spec$//' | tr '\n' ' ') \
			>$logs/isolation.out.log 2>&1
		grep -E '^(ok|not ok|test )|tests (passed|failed)' $logs/isolation.out.log | tail -20
		read -r p f < <(parse_regress $logs/isolation.out.log)
		[ "$f" -ne 0 ] && [ -f build/isolation/regression.diffs ] && head -60 build/isolation/regression.diffs
		record "${pfx}isolation" "$p" "$f"
	else
		echo "pg_isolation_regress not found at $iso_bin"
		record "${pfx}isolation" 0 1
	fi

	echo "== ${pfx}doctests"
	env $(cluster_env main) DOCTEST_OUT="$root/$logs/doctests" bash test/doc/run-doctests.sh >$logs/doctests.log 2>&1
	tail -4 $logs/doctests.log
	read -r p f < <(parse_counts doctests $logs/doctests.log)
	record "${pfx}doctests" "$p" "$f"
	env $(cluster_env main) bash test/doc/check-reference.sh >$logs/reference.log 2>&1
	tail -2 $logs/reference.log
	read -r p f < <(parse_counts reference $logs/reference.log)
	record "${pfx}reference" "$p" "$f"
	env $(cluster_env main) python3 test/doc/render-examples.py >$logs/examples.log 2>&1
	tail -3 $logs/examples.log
	read -r p f < <(parse_counts examples $logs/examples.log)
	record "${pfx}examples" "$p" "$f"

	main_log=$(cluster_log main)
	cp "$main_log" $logs/server-main.log 2>/dev/null || true
	cluster_destroy main

	echo "== ${pfx}regress (cluster without shared_preload_libraries)"
	cluster_create nopreload no && cluster_start nopreload || { record "${pfx}nopreload" 0 1; }
	env $(cluster_env nopreload) make -s installcheck REGRESS_OPTS="--load-extension=pg_privacy --inputdir=test/nopreload --outputdir=test/nopreload" \
		REGRESS="$(cd test/nopreload/sql && ls *.sql | sed 's/\.sql$//' | tr '\n' ' ')" >$logs/nopreload.out.log 2>&1
	grep -E '^(ok|not ok|test )|tests (passed|failed)' $logs/nopreload.out.log | tail -20
	read -r p f < <(parse_regress $logs/nopreload.out.log)
	[ "$f" -ne 0 ] && [ -f test/nopreload/regression.diffs ] && head -60 test/nopreload/regression.diffs
	record "${pfx}nopreload" "$p" "$f"
	cp "$(cluster_log nopreload)" $logs/server-nopreload.log 2>/dev/null || true
	cluster_destroy nopreload

	# The TAP tests start, kill -9 and restart their own servers, and
	# libfaketime does not keep a restarted postmaster's clock and its
	# children's together (the postmaster logs the real date, the workers
	# the shifted one), so background-worker scheduling after a crash
	# restart is not what it would be on any real clock: they run in the
	# first pass only. Nothing in them depends on the date.
	if [ -n "$pfx" ]; then
		echo "== ${pfx}tap: not run under the shifted clock (crash-restart tests; see run-all.sh)"
	else
		echo "== ${pfx}tap (PostgreSQL::Test::Cluster)"
		bash test/tap/run.sh >$logs/tap.log 2>&1
		grep -E '^(ok|not ok)|^Result' $logs/tap.log | tail -20
		tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' $logs/tap.log)
		tests=${tests:-0}
		if grep -q '^Result: PASS' $logs/tap.log && [ "$tests" -gt 0 ]; then
			record "${pfx}tap" "$tests" 0
		else
			bad=$(grep -c '^not ok' $logs/tap.log)
			[ "$bad" -eq 0 ] && bad=1
			record "${pfx}tap" "$((tests > bad ? tests - bad : 0))" "$bad"
		fi
	fi

	echo "== ${pfx}leakscan"
	if bash test/leak/canary-scan.sh --self-test && bash test/leak/canary-scan.sh $logs/server-main.log $logs/server-nopreload.log results/*.out test/nopreload/results/*.out $logs/pgtap.out.log $logs/adversarial/adv_*.out $logs/roundtrip-*.log $(ls $logs/tap.log 2>/dev/null); then
		record "${pfx}leakscan" 1 0
	else
		record "${pfx}leakscan" 0 1
	fi

}

cluster_suites ''

# the second pass: 400 days ahead, another zone, another superuser name
faketime_lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
if [ -n "$faketime_lib" ]; then
	(
		trap cluster_destroy_all EXIT
		# only the server processes run on the shifted clock (the clock
		# check below reads it from the server): libfaketime's shared state
		# belongs to the process that created it, and programs the server
		# starts (a key command, COPY TO PROGRAM) died with exit code 1 when
		# pg_ctl, which had created it, was gone
		export LD_PRELOAD=$faketime_lib FAKETIME=+400d FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_ONLY_CMDS=postgres
		# libfaketime 0.9.10 creates that shared state in every process that
		# loads it without FAKETIME_SHARED set (FAKETIME_ONLY_CMDS or not) and
		# removes it when that process exits: one process that never exits
		# (bash exec'ing sleep, as the server user) creates it for the whole
		# pass, and every later process attaches to it (issue 20: the key
		# command tests failed with exit code 1 in this pass)
		# State left by processes that exec'd (libfaketime names it after the
		# PID) makes a later process with the same PID fail to create its
		# own: remove the state of processes that no longer exist, and start
		# the holder again (another PID) if it still could not create one.
		for f in /dev/shm/faketime_shm_* /dev/shm/sem.faketime_sem_*; do
			[ -e "$f" ] || continue
			kill -0 "${f##*_}" 2>/dev/null || rm -f "$f" 2>/dev/null
		done
		ft_file=$(mktemp /tmp/pg_privacy_faketime.XXXXXX)
		ft_holder='' ft_sem='' ft_shm=''
		for _ in 1 2 3 4 5; do
			: >"$ft_file"
			chmod 666 "$ft_file"
			# (runuser itself must not load it: as root it would create the
			# state with permissions the server user cannot open)
			LD_PRELOAD='' as_server_user env LD_PRELOAD="$faketime_lib" \
				bash -c 'echo "$$ $FAKETIME_SHARED" >"$1"; exec sleep 86400' _ "$ft_file" >/dev/null 2>&1 &
			for _ in $(seq 1 200); do [ -s "$ft_file" ] && break; sleep 0.05; done
			read -r ft_holder ft_sem ft_shm <"$ft_file"
			[ -n "$ft_shm" ] && break
			[ -n "$ft_holder" ] && kill "$ft_holder" 2>/dev/null
		done
		if [ -z "$ft_shm" ]; then
			echo "shifted pass: libfaketime could not create its shared state" >&2
		fi
		export FAKETIME_SHARED="$ft_sem $ft_shm"
		trap 'cluster_destroy_all; kill $ft_holder 2>/dev/null; rm -f "$ft_file" /dev/shm/sem.${ft_sem#/} /dev/shm/${ft_shm#/}' EXIT
		export TZ=Pacific/Chatham PRIVACY_TEST_SUPERUSER=privacy_root
		echo "== shifted pass: servers 400 days ahead, TZ=$TZ, superuser $PRIVACY_TEST_SUPERUSER"
		cluster_suites shifted/
		echo "$total_passed $total_failed ${failed_suites[*]}" >build/logs/shifted.counts
	)
	read -r total_passed total_failed rest <build/logs/shifted.counts
	read -r -a failed_suites <<<"$rest"
else
	record shifted-clock 0 1
fi

echo "== citus (coordinator + 2 workers; skipped when Citus is not installed)"
bash test/citus/run.sh >build/logs/citus.log 2>&1
grep -E '^(ok|not ok|citus:)' build/logs/citus.log | tail -40
if grep -q '^citus: skipped' build/logs/citus.log; then
	: # neither passed nor failed
else
	read -r p f < <(parse_counts citus build/logs/citus.log)
	[ "$f" -ne 0 ] && grep -E '^#' build/logs/citus.log | head -40
	record citus "$p" "$f"
fi

echo "== package (make deb, dpkg -i, pg_regress against the installed package)"
bash test/package/run.sh >build/logs/package.log 2>&1
grep -E '^(ok|not ok|package:)|tests (passed|failed)' build/logs/package.log
if grep -q '^package: skipped' build/logs/package.log; then
	echo "package: skipped"
else
	read -r p f < <(parse_counts package build/logs/package.log)
	[ "$f" -ne 0 ] && grep -vE '^(ok|not ok)' build/logs/package.log | tail -40
	record package "$p" "$f"
fi

echo
if [ ${#failed_suites[@]} -ne 0 ]; then
	echo "failed suites: ${failed_suites[*]}"
fi
echo "summary: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
