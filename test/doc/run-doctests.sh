#!/usr/bin/env bash
# run-doctests.sh: every ```sql block of doc/*.md runs, so the documentation
# cannot drift from the code. Each page gets a fresh database holding the
# extension and a small demo dataset (contrib/demo, 200 customers) with the
# demo's roles; its blocks run in order as the superuser, and the page fails
# at the first error. Needs PGHOST/PGPORT of a cluster preloading pg_privacy
# (with a master key). A page marked <!-- doctest: fresh --> instead runs on an
# empty database and must create everything it uses (the quick start).
# Prints "doctests: N passed, M failed" (one per page).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${DOCTEST_OUT:-$(mktemp -d /tmp/pg_privacy_doctest.XXXXXX)}
mkdir -p "$out"
su() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

su -d postgres >/dev/null 2>&1 <<'SQL'
CREATE ROLE support_agent;
CREATE ROLE analyst;
CREATE ROLE marketing;
CREATE ROLE billing;
CREATE ROLE dpo;
SQL

passed=0
failed=0
for page in "$root"/doc/*.md; do
	name=$(basename "$page" .md)
	# examples.md is generated and checked by render-examples.py
	[ "$name" = examples ] && continue
	grep -q '^```sql' "$page" || continue
	db="doctest_$(echo "$name" | tr -c 'a-z0-9\n' '_')"
	script="$out/$name.sql"
	{
		echo '\set ON_ERROR_STOP on'
		awk '/^```sql[[:space:]]*$/ { inside = 1; next } /^```/ { if (inside) print ""; inside = 0; next } inside { print }' "$page"
	} >"$script"
	su -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
	if grep -q '^<!-- doctest: fresh -->' "$page"; then
		# a page that starts from nothing (the quick start): an empty
		# database, no extension, no demo data; the page creates its roles
		if su -d "$db" -f "$script" >"$out/$name.log" 2>&1; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "doctests: doc/$name.md failed:" >&2
			grep -E 'ERROR|psql:' "$out/$name.log" | head -5 >&2
		fi
	elif su -d "$db" -c 'CREATE EXTENSION pg_privacy' >"$out/$name.log" 2>&1 &&
		su -d "$db" -f "$root/contrib/demo/schema.sql" >>"$out/$name.log" 2>&1 &&
		su -d "$db" -v customers=200 -f "$root/contrib/demo/seed.sql" >>"$out/$name.log" 2>&1 &&
		su -d "$db" -c 'GRANT USAGE ON SCHEMA cx TO support_agent, analyst, marketing, billing, dpo; GRANT SELECT ON ALL TABLES IN SCHEMA cx TO support_agent, analyst, marketing, billing, dpo' >>"$out/$name.log" 2>&1 &&
		su -d "$db" -f "$script" >>"$out/$name.log" 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "doctests: doc/$name.md failed:" >&2
		grep -E 'ERROR|psql:' "$out/$name.log" | head -5 >&2
	fi
	su -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
done
echo "doctests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
