#!/usr/bin/env bash
# canary-scan.sh FILE...: fails if any canary from canaries.txt appears in the
# given files (server logs, test outputs). Missing files are skipped.
# --self-test: proves the scan detects a planted canary.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
patterns=$(grep -Ev '^(#|$)' "$here/canaries.txt")
if [ -z "$patterns" ]; then
	# an empty list would match every line: say what is wrong instead
	echo "canary-scan: no canary patterns read from $here/canaries.txt" >&2
	exit 2
fi

if [ "${1:-}" = "--self-test" ]; then
	tmp=$(mktemp)
	echo "ERROR: something CANARY-0123ABCD something" >"$tmp"
	if bash "$0" "$tmp" >/dev/null 2>&1; then
		rm -f "$tmp"
		echo "canary-scan: self-test failed (planted canary not found)" >&2
		exit 1
	fi
	rm -f "$tmp"
	exit 0
fi

found=0
scanned=0
for f in "$@"; do
	[ -f "$f" ] || continue
	scanned=$((scanned + 1))
	while IFS= read -r pat; do
		[ -n "$pat" ] || continue
		if grep -nE -- "$pat" "$f" >/dev/null; then
			echo "canary-scan: canary /$pat/ found in $f:" >&2
			grep -nE -- "$pat" "$f" | head -5 >&2
			found=1
		fi
	done <<<"$patterns"
done
echo "canary-scan: $scanned files scanned, $([ $found -eq 0 ] && echo clean || echo LEAK)"
[ "$found" -eq 0 ]
