#!/usr/bin/env bash
# check-reference.sh: renders doc/reference.md from the installed catalog
# (test/doc/reference.sql) and fails when the committed page differs.
# With --write it updates the page instead. Needs PGHOST/PGPORT of a cluster
# preloading pg_privacy. Prints "reference: N passed, M failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
db=doc_reference
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
psql -X -q -d "$db" -c 'CREATE EXTENSION pg_privacy' >/dev/null
rendered=$(mktemp)
psql -X -q -d "$db" -f "$root/test/doc/reference.sql" >"$rendered"
psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null
if [ "${1:-}" = "--write" ]; then
	cp "$rendered" "$root/doc/reference.md"
	echo "reference: doc/reference.md written"
	exit 0
fi
if diff -u "$root/doc/reference.md" "$rendered" >"$rendered.diff"; then
	echo "reference: 1 passed, 0 failed"
	rm -f "$rendered" "$rendered.diff"
	exit 0
fi
head -40 "$rendered.diff" >&2
echo "reference: doc/reference.md is stale: run test/doc/check-reference.sh --write against a test cluster" >&2
echo "reference: 0 passed, 1 failed"
exit 1
