#!/usr/bin/env bash
# check-sqlstates.sh: doc/troubleshooting.md lists every SQLSTATE the source
# raises (scripts/list-sqlstates.py: C errcode()s, the error boundary's
# table, RAISE ... USING ERRCODE in the SQL parts). Fails naming the codes
# the page lacks. --self-test: the check must fail on a copy of the page
# without its first SQLSTATE row (a check that cannot fail proves nothing).
# Needs pg_config (for utils/errcodes.h). Prints "sqlstates: N passed, M failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
page=$root/doc/troubleshooting.md
codes=$(python3 "$root/scripts/list-sqlstates.py") || { echo "sqlstates: 0 passed, 1 failed"; exit 1; }
# missing PAGE: the codes the page does not list in a table row
missing() {
	local code name
	while read -r code name; do
		grep -qE "^\| \`$code\` \| $name \|" "$1" || echo "$code $name"
	done <<<"$codes"
}
if [ "${1:-}" = "--self-test" ]; then
	copy=$(mktemp)
	first=$(echo "$codes" | head -1 | cut -d' ' -f1)
	grep -v "^| \`$first\` |" "$page" >"$copy"
	out=$(missing "$copy")
	rm -f "$copy"
	if [ "$out" = "$(echo "$codes" | head -1)" ]; then echo "sqlstates: self-test passed"; exit 0; fi
	echo "sqlstates: self-test failed: a page without $first was not caught" >&2
	exit 1
fi
out=$(missing "$page")
n=$(echo "$codes" | wc -l)
if [ -z "$out" ]; then
	echo "sqlstates: $n passed, 0 failed"
	exit 0
fi
echo "doc/troubleshooting.md does not list these SQLSTATEs the source raises:" >&2
echo "$out" >&2
m=$(echo "$out" | wc -l)
echo "sqlstates: $((n - m)) passed, $m failed"
exit 1
