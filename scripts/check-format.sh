#!/usr/bin/env bash
# check-format.sh: every C++ file is formatted as .clang-format says (make
# format rewrites them) and no line is wider than 100 columns (tabs of 4).
# Generated files (src/core/mask/dictionaries_data.cpp, written by
# src/core/mask/data/generate.py and checked by the unit suite) are left out.
set -uo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' | grep -v '^src/core/mask/dictionaries_data\.cpp$')
if ! command -v clang-format >/dev/null; then
	echo "check-format: clang-format is not installed (scripts/install-deps.sh installs it)" >&2
	exit 1
fi
failed=0
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/check-format.$$; then
	head -20 /tmp/check-format.$$ >&2
	echo "check-format: files differ from .clang-format (run make format)" >&2
	failed=1
fi
rm -f /tmp/check-format.$$
wide=$(python3 - "${files[@]}" <<'PY'
import sys
for f in sys.argv[1:]:
    for n, line in enumerate(open(f, encoding='utf-8'), 1):
        if len(line.rstrip('\n').expandtabs(4)) > 100:
            print(f"{f}:{n}")
PY
)
if [ -n "$wide" ]; then
	echo "$wide" | head -20 >&2
	echo "check-format: lines wider than 100 columns" >&2
	failed=1
fi
[ $failed -eq 0 ] && echo "check-format: ${#files[@]} files formatted, lines within 100 columns"
exit $failed
