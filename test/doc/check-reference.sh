#!/usr/bin/env bash
# check-reference.sh: renders doc/reference.md (test/doc/reference.sql) and
# doc/privileges-table.md (test/doc/privileges-table.sql, with
# test/doc/privileges-annotations.tsv, in a database where
# privacy.setup_roles() ran) from the installed catalog and fails when a
# committed page differs, or when the privilege table has a function it
# cannot classify (UNANNOTATED). With --write it updates the pages instead.
# Needs PGHOST/PGPORT of a cluster preloading pg_privacy. Prints
# "reference: N passed, M failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
db=doc_reference
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
psql -X -q -d "$db" -c 'CREATE EXTENSION pg_privacy' >/dev/null
rendered=$(mktemp)
psql -X -q -d "$db" -f "$root/test/doc/reference.sql" >"$rendered"
# the privilege table describes a database where setup_roles() ran
psql -X -q -d "$db" -c "SET client_min_messages = warning" -c 'SELECT privacy.setup_roles()' >/dev/null
privtable=$(mktemp)
psql -X -q -d "$db" -v ann="$(cat "$root/test/doc/privileges-annotations.tsv")" \
	-f "$root/test/doc/privileges-table.sql" >"$privtable"
psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null
if [ "${1:-}" = "--write" ]; then
	cp "$rendered" "$root/doc/reference.md"
	cp "$privtable" "$root/doc/privileges-table.md"
	echo "reference: doc/reference.md and doc/privileges-table.md written"
	exit 0
fi
passed=0
failed=0
if diff -u "$root/doc/reference.md" "$rendered" >"$rendered.diff"; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	head -40 "$rendered.diff" >&2
	echo "reference: doc/reference.md is stale: run test/doc/check-reference.sh --write against a test cluster" >&2
fi
if grep -q UNANNOTATED "$privtable"; then
	failed=$((failed + 1))
	grep UNANNOTATED "$privtable" >&2
	echo "reference: functions PUBLIC may execute whose checks the catalog cannot show: annotate them in test/doc/privileges-annotations.tsv" >&2
elif diff -u "$root/doc/privileges-table.md" "$privtable" >"$privtable.diff"; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	head -40 "$privtable.diff" >&2
	echo "reference: doc/privileges-table.md is stale: run test/doc/check-reference.sh --write against a test cluster" >&2
fi
rm -f "$rendered" "$rendered.diff" "$privtable" "$privtable.diff"
echo "reference: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
