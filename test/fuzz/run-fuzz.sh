#!/usr/bin/env bash
# run-fuzz.sh: builds the libFuzzer targets (test/fuzz/*_fuzz.cpp) with clang,
# core instrumented, and runs each for FUZZ_SECONDS (default 300). Not part
# of `make test` (it is long and needs clang): `make fuzz`.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v clang++ >/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq clang >/dev/null; else sudo apt-get install -y -qq clang >/dev/null; fi
fi
CXX=clang++ cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRIVACY_BUILD_FUZZ=ON \
	-DPRIVACY_BUILD_TESTS=OFF -DPRIVACY_BUILD_BENCH=OFF >/dev/null
cmake --build build/fuzz -j2 >/dev/null
mkdir -p build/fuzz/corpus
for target in build/fuzz/*_fuzz; do
	name=$(basename "$target")
	mkdir -p "build/fuzz/corpus/$name"
	echo "== $name for ${FUZZ_SECONDS:-300}s"
	"$target" -max_total_time="${FUZZ_SECONDS:-300}" -print_final_stats=1 "build/fuzz/corpus/$name" 2>&1 |
		grep -E '^(Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' || true
done
