#!/usr/bin/env bash
# run-unit.sh: builds the core library and its GoogleTest unit tests with
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs them with ctest.
# Prints "unit: N passed, M failed" last; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=build/unit-asan
# The generated dictionary source must match src/core/mask/data (a stale file fails the suite).
if ! python3 src/core/mask/data/generate.py --check; then
	echo "unit: dictionaries_data.cpp is stale: run python3 src/core/mask/data/generate.py"
	echo "unit: 0 passed, 1 failed"
	exit 1
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DPRIVACY_SANITIZE=ON -DPRIVACY_BUILD_BENCH=OFF \
	-DPRIVACY_WERROR=ON >"$build.cmake.log" 2>&1 || { cat "$build.cmake.log"; echo "unit: 0 passed, 1 failed"; exit 1; }
if ! cmake --build "$build" -j2 >"$build.build.log" 2>&1; then
	tail -50 "$build.build.log"
	echo "unit: 0 passed, 1 failed"
	exit 1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" -j2 --output-on-failure >"$build.ctest.log" 2>&1
status=$?
grep -E 'tests passed|tests failed|Failed|\*\*\*' "$build.ctest.log" | tail -20
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$build.ctest.log" | tail -1)
failed=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$build.ctest.log" | tail -1)
total=${total:-0}
failed=${failed:-1}
if [ "$total" -eq 0 ]; then
	echo "unit: no unit test ran"
	failed=1
fi
echo "unit: $((total - failed)) passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
