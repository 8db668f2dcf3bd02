#!/usr/bin/env bash
# masking_policies.sh: masking policies survive pg_dump/pg_restore, and
# pg_dump run by a masked role produces a masked (anonymous) dump.
# Needs PGHOST/PGPORT of a running cluster preloading pg_privacy; connects as
# the cluster superuser (PGUSER). Prints "roundtrip-masking: N passed, M failed".
set -uo pipefail
work=$(mktemp -d /tmp/pg_privacy_rt.XXXXXX)
chmod 755 "$work"
passed=0
failed=0
su() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "roundtrip-masking: $1: expected [$2], got [$3]" >&2
	fi
}

for db in rt_src rt_dst rt_anon; do su -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
su -d postgres -c "DROP ROLE IF EXISTS rt_masked" -c "DROP ROLE IF EXISTS rt_exempt" >/dev/null 2>&1
su -d postgres -c "CREATE ROLE rt_masked LOGIN" -c "CREATE ROLE rt_exempt" -c "CREATE DATABASE rt_src" >/dev/null
su -d rt_src >/dev/null <<'SQL'
CREATE EXTENSION pg_privacy;
CREATE SCHEMA app;
CREATE TABLE app.customer (id int PRIMARY KEY, email text, ssn text);
INSERT INTO app.customer VALUES (1, 'ann@example.com', 'CANARY-' || '0DDBA110'), (2, 'bob@example.org', 'CANARY-' || '0DDBA111');
SELECT privacy.mask_column('app.customer', 'ssn', 'privacy.redact(ssn)');
SELECT privacy.mask_column('app.customer', 'email', $$'hidden@' || split_part(email, '@', 2)$$);
SELECT privacy.grant_unmasked('rt_exempt', 'app.customer', 'email');
-- a mask calling a user function: its stored form (issue 17 part 4)
CREATE FUNCTION app.shorten(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN left(v, 2) || '...';
CREATE TABLE app.note (id int, body text);
INSERT INTO app.note VALUES (1, 'CANARY-' || '0DDBA112');
SELECT privacy.mask_column('app.note', 'body', 'app.shorten(body)');
GRANT SELECT ON app.note TO rt_masked;
-- a mask reading another column, renamed after the declaration: the stored
-- form takes the columns it reads as arguments named after them (red team
-- F2), kept in step with the rename so that pg_restore maps them back
CREATE TABLE app.card (id int, holder text, num text);
INSERT INTO app.card VALUES (1, 'Ann', 'CANARY-' || '0DDBA113');
SELECT privacy.mask_column('app.card', 'num', $$left(holder, 1) || '-' || right(num, 3)$$);
ALTER TABLE app.card RENAME COLUMN holder TO owner_name;
GRANT SELECT ON app.card TO rt_masked;
GRANT USAGE ON SCHEMA app TO rt_masked;
GRANT SELECT ON app.customer TO rt_masked;
-- retention history: one purge run in the log
CREATE TABLE app.events (id int, created timestamptz);
INSERT INTO app.events SELECT g, now() - g * interval '1 day' FROM generate_series(1, 10) g;
SELECT privacy.set_retention('app.events', 'created', '5 days');
SELECT count(*) FROM privacy.purge_now('app.events');
SQL
policies() { su -d "$1" -c "SELECT table_name, column_name, mask, exempt_roles FROM privacy.column_policies ORDER BY 1::text, 2"; }
masked_view() { psql -X -q -At -U rt_masked -d "$1" -c "SELECT id, email, ssn FROM app.customer ORDER BY id"; }

# 1. dump and restore as superuser: policies, exemptions and enforcement come back
pg_dump -Fc -f "$work/src.dump" rt_src
su -d postgres -c "CREATE DATABASE rt_dst" >/dev/null
pg_restore -d rt_dst "$work/src.dump" 2>"$work/restore.log"
check "restore succeeded" "0" "$(grep -c ERROR "$work/restore.log")"
check "policies restored" "$(policies rt_src)" "$(policies rt_dst)"
check "masked role sees masks after restore" "$(masked_view rt_src)" "$(masked_view rt_dst)"
check "mask applied after restore" "1|hidden@example.com|[REDACTED]" "$(masked_view rt_dst | head -1)"
check "raw data restored" "2" "$(su -d rt_dst -c "SELECT count(*) FROM app.customer WHERE ssn LIKE 'CANARY-%'")"
check "row security restored" "t" "$(su -d rt_dst -c "SELECT relrowsecurity FROM pg_class WHERE oid = 'app.customer'::regclass")"
# the stored forms come back with their dependencies (the policy tables'
# trigger records the AUTO ones pg_restore does not recreate)
check "a restored mask keeps its function from being dropped" "refused" \
	"$(su -d rt_dst -c "DROP FUNCTION app.shorten(text)" >/dev/null 2>&1 && echo dropped || echo refused)"
check "a restored mask still masks" "1|CA..." "$(psql -X -q -At -U rt_masked -d rt_dst -c "SELECT id, body FROM app.note")"
check "a restored masked table drops without CASCADE, its stored form with it" "0" \
	"$(su -d rt_dst -c "DROP TABLE app.note" -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'privacy_expr'::regnamespace AND proname LIKE 'mask of app.note.%'" | tail -1)"
check "a restored mask reading a renamed column still masks" "1|A-113" \
	"$(psql -X -q -At -U rt_masked -d rt_dst -c "SELECT id, num FROM app.card")"
check "a restored mask keeps the column it reads from being dropped" "refused" \
	"$(su -d rt_dst -c "ALTER TABLE app.card DROP COLUMN owner_name" >/dev/null 2>&1 && echo dropped || echo refused)"
check "a restored masked table takes rewriting ALTERs" "ok" \
	"$(su -d rt_dst -c "ALTER TABLE app.card ALTER COLUMN id TYPE bigint" -c "ALTER TABLE app.card ADD COLUMN at timestamptz DEFAULT clock_timestamp()" >/dev/null 2>&1 && echo ok || echo refused)"
# (the purge launcher may visit the new database and log a run of its own
# meanwhile: compare the restored rows, those up to the source's last id)
last=$(su -d rt_src -c "SELECT max(id) FROM privacy.purge_log")
purges="SELECT string_agg(table_name_at_run || ' ' || status || ' ' || rows, ',' ORDER BY id) FROM privacy.purge_log WHERE id <= $last"
check "purge history restored" "$(su -d rt_src -c "$purges")" "$(su -d rt_dst -c "$purges")"
su -d rt_dst -c "SELECT count(*) FROM privacy.purge_now('app.events')" >"$work/purge-after-restore.log" 2>&1; cat "$work/purge-after-restore.log" >&2
check "purges log again after a restore, after the restored ids" "t" \
	"$(su -d rt_dst -c "SELECT count(*) > 0 FROM privacy.purge_log WHERE id > $last AND via = 'purge_now'")"

# 2. pg_dump as the masked role: without --enable-row-security it refuses
# (fail closed); with it the dump holds masked values only
if pg_dump -U rt_masked -t app.customer -a -f "$work/masked_norls.sql" rt_src 2>"$work/masked_norls.log"; then
	check "masked dump without --enable-row-security refused" "refused" "succeeded"
else
	check "masked dump without --enable-row-security refused" "refused" "refused"
fi
pg_dump -U rt_masked --enable-row-security -t app.customer -a -f "$work/masked.sql" rt_src 2>"$work/masked.log"
check "masked dump ran" "0" "$?"
check "masked dump holds no raw value" "0" "$(grep -c 'CANARY-' "$work/masked.sql")"
check "masked dump holds the masked rows" "2" "$(grep -c '\[REDACTED\]' "$work/masked.sql")"

for db in rt_src rt_dst; do su -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
su -d postgres -c "DROP ROLE IF EXISTS rt_masked" -c "DROP ROLE IF EXISTS rt_exempt" >/dev/null 2>&1
rm -rf "$work"
echo "roundtrip-masking: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
