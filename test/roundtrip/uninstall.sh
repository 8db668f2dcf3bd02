#!/usr/bin/env bash
# uninstall.sh (issue 21): privacy.uninstall() on a populated database
# (masks, consent, a row filter, tokens in card_token and text columns,
# retention with a legal hold, a partitioned table, a table whose owner had
# forced row security and one with row-security policies of its own), then
# DROP EXTENSION pg_privacy: an application role reads every table with the
# expected values. Also: the refusals change nothing (tokens => 'refuse',
# active holds, a non-superuser, an administrator, an owner without the
# detokenize right, a check constraint on a card_token column, a view using
# the extension), each with a positive control.
# Needs PGHOST/PGPORT (PGUSER: the superuser) of a running cluster
# preloading pg_privacy with privacy.master_key_file set.
# Prints "uninstall: N passed, M failed".
set -uo pipefail
export PGUSER=${PGUSER:-postgres}
passed=0
failed=0
db=rt_uninstall
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }
# qs SQL...: the SQLSTATE of the last statement ("ok" when it succeeded)
qs() {
	local out
	out=$(psql -X -q -At -v VERBOSITY=sqlstate -d $db "$@" 2>&1 >/dev/null | grep -oE '^ERROR:  [0-9A-Z]{5}' | tail -1 | cut -c9-)
	echo "${out:-ok}"
}
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "uninstall: $1: expected [$2], got [$3]" >&2
	fi
}
roles="un_app un_owner un_thief un_admin un_owner2"
cleanup() {
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	for r in $roles; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
}
cleanup
psql -X -q -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE DATABASE $db;
CREATE ROLE un_app;
CREATE ROLE un_owner;
CREATE ROLE un_owner2;
CREATE ROLE un_thief;
CREATE ROLE un_admin;
SQL

# the populated database: every kind of thing pg_privacy adds to tables
q >/dev/null <<'SQL'
CREATE EXTENSION pg_privacy;
SELECT privacy.setup_roles();
GRANT privacy_admin TO un_admin;
SELECT privacy.create_key('default');
CREATE SCHEMA app AUTHORIZATION un_owner;
GRANT USAGE ON SCHEMA app TO un_app, un_thief;
SET ROLE un_owner;
CREATE TABLE app.customer (id int PRIMARY KEY, email text, subject text, created timestamptz);
CREATE TABLE app.payment (id int PRIMARY KEY, card privacy.card_token, ssn text);
CREATE INDEX ON app.payment (card);
CREATE TABLE app.event (id int, at date, note text) PARTITION BY RANGE (at);
CREATE TABLE app.event_2020 PARTITION OF app.event FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE app.event_2021 PARTITION OF app.event FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE TABLE app.forced (id int, secret text);
ALTER TABLE app.forced ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY everyone ON app.forced USING (true);
CREATE TABLE app.own_rls (id int, team text);
CREATE TABLE app.later (id int, team text);
GRANT SELECT ON ALL TABLES IN SCHEMA app TO un_app;
RESET ROLE;
INSERT INTO app.customer SELECT n, 'user' || n || '@example.com', 's' || n, now() - n * interval '1 day' FROM generate_series(1, 20) n;
-- Luhn-valid card numbers: a 15-digit prefix and its check digit
CREATE FUNCTION pg_temp.luhn(p text) RETURNS text LANGUAGE sql AS $$
SELECT p || (10 - (SELECT sum(CASE WHEN (16 - i) % 2 = 1 THEN
	(CASE WHEN substr(p, i, 1)::int * 2 > 9 THEN substr(p, i, 1)::int * 2 - 9 ELSE substr(p, i, 1)::int * 2 END)
	ELSE substr(p, i, 1)::int END) FROM generate_series(1, 15) i) % 10) % 10 $$;
INSERT INTO app.payment SELECT n, privacy.tokenize(pg_temp.luhn((411111111111100 + n * 7)::text), 'card'),
	privacy.tokenize(lpad((n * 7919)::text, 9, '0'), 'ssn') FROM generate_series(1, 10) n;
INSERT INTO app.event VALUES (1, '2020-06-01', 'old'), (2, '2021-06-01', 'new');
INSERT INTO app.forced VALUES (1, 'a');
INSERT INTO app.own_rls VALUES (1, 'red'), (2, 'blue');
INSERT INTO app.later VALUES (1, 'red'), (2, 'blue');
SET ROLE un_owner;
ALTER TABLE app.own_rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY red_only ON app.own_rls USING (team = 'red');
RESET ROLE;
-- plaintexts to compare with after detokenizing
CREATE TABLE public.expected AS
SELECT id, privacy.detokenize(card, 'card') AS card, privacy.detokenize(ssn, 'ssn') AS ssn FROM app.payment;
GRANT SELECT ON public.expected TO un_app;
SELECT privacy.mask_column('app.customer', 'email', 'privacy.mask_email(email)');
SELECT privacy.create_purpose('marketing', 'newsletters');
SELECT privacy.require_consent('app.customer', 'subject', 'marketing');
SELECT privacy.grant_consent('s1', 'marketing');
SELECT privacy.allow_purpose('un_app', 'marketing');
SELECT privacy.add_row_filter('app.event', 'recent', 'at >= ''2021-01-01''');
SELECT privacy.mask_column('app.forced', 'secret', 'privacy.redact(secret)');
SELECT privacy.add_row_filter('app.forced', 'positive', 'id > 0');
SELECT privacy.mask_column('app.own_rls', 'team', 'privacy.redact(team)');
-- pg_privacy turns row security on here, then the owner adds a policy of its own
SELECT privacy.mask_column('app.later', 'team', 'privacy.redact(team)');
SET ROLE un_owner;
CREATE POLICY red_only ON app.later USING (team = 'red');
RESET ROLE;
SELECT privacy.classify('app.payment', 'ssn', 'national_id', token_format => 'ssn');
SELECT privacy.set_retention('app.customer', 'created', '10 days');
SELECT privacy.hide_expired('app.customer');
SELECT privacy.place_hold('app.customer', 'id = 15', 'litigation');
SQL
[ $? -eq 0 ] || { echo "uninstall: setup failed" >&2; cleanup; echo "uninstall: 0 passed, 1 failed"; exit 1; }

# positive control: pg_privacy is in force before the uninstall
check "before: masked for the application role" "0" \
	"$(q -c "SET ROLE un_app" -c "SELECT count(*) FROM app.customer WHERE email LIKE 'user%@example.com'")"
check "before: DROP EXTENSION fails (2BP01)" "2BP01" "$(qs -c "DROP EXTENSION pg_privacy")"
state() { # everything uninstall may change, as one line
	q -c "SELECT string_agg(format('%s:%s%s', c.oid::regclass, c.relrowsecurity::int, c.relforcerowsecurity::int), ' ' ORDER BY c.oid::regclass::text)
		FROM pg_class c WHERE c.relnamespace = 'app'::regnamespace AND c.relkind IN ('r', 'p')" \
		-c "SELECT count(*) FROM pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'app'::regnamespace) AND NOT t.tgisinternal" \
		-c "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 'app.payment'::regclass AND attname = 'card'" \
		-c "SELECT (SELECT count(*) FROM privacy._column_policy) || '/' || (SELECT count(*) FROM privacy._row_policy) || '/'
			|| (SELECT count(*) FROM privacy._retention_policy) || '/' || (SELECT count(*) FROM privacy._legal_hold WHERE released_at IS NULL)
			|| '/' || (SELECT count(*) FROM privacy.audit_log WHERE action <> 'detokenize')" \
		-c "SELECT md5(string_agg(card::text || ssn, ',' ORDER BY id)) FROM app.payment" | tr '\n' ' '
}
# a token column of a type the owner defined: its cast to text would run the
# owner's code with the caller's rights
q -c "SET ROLE un_owner" -c "CREATE DOMAIN app.tok AS text" -c "CREATE TABLE app.tokdom (t app.tok)" >/dev/null
q -c "SELECT privacy.classify('app.tokdom', 't', 'national_id', token_format => 'ssn')" >/dev/null
check "refuse: detokenize a column of a type that is not built-in (0A000)" "0A000" \
	"$(qs -c "SELECT privacy.grant_detokenize('un_owner', 'ssn')" -c "SELECT privacy.uninstall(tokens => 'detokenize', release_holds => true)")"
q -c "SELECT privacy.revoke_detokenize('un_owner', 'ssn')" -c "SELECT privacy.unclassify('app.tokdom', 't')" -c "DROP TABLE app.tokdom" -c "DROP DOMAIN app.tok" >/dev/null
before=$(state)

# refusals: nothing changes
check "refuse: tokens remain (55000)" "55000" "$(qs -c "SELECT privacy.uninstall()")"
check "refuse: explicit tokens => 'refuse' (55000)" "55000" "$(qs -c "SELECT privacy.uninstall(tokens => 'refuse')")"
check "refuse: bad tokens option (22023)" "22023" "$(qs -c "SELECT privacy.uninstall(tokens => 'plaintext')")"
check "refuse: active legal hold (55000)" "55000" "$(qs -c "SELECT privacy.uninstall(tokens => 'text')")"
check "refuse: an administrator (42501)" "42501" \
	"$(qs -c "SET ROLE un_admin" -c "SELECT privacy.uninstall(tokens => 'text', release_holds => true)")"
check "refuse: a role without privileges (42501)" "42501" \
	"$(qs -c "SET ROLE un_thief" -c "SELECT privacy.uninstall(tokens => 'text', release_holds => true)")"
check "refuse: the hint names superusers" "1" \
	"$(psql -X -q -d $db -c "SET ROLE un_thief" -c "SELECT privacy.uninstall()" 2>&1 | grep -c 'HINT:  Only superusers')"
# a SECURITY DEFINER function of another role, called by a superuser, does
# not uninstall with that role's rights
q -c "CREATE FUNCTION app.trap() RETURNS jsonb LANGUAGE sql SECURITY DEFINER AS \$\$ SELECT privacy.uninstall(tokens => 'text', release_holds => true) \$\$" \
	-c "ALTER FUNCTION app.trap() OWNER TO un_owner" >/dev/null
check "refuse: inside another role's SECURITY DEFINER function (42501)" "42501" "$(qs -c "SELECT app.trap()")"
q -c "DROP FUNCTION app.trap()" >/dev/null
# detokenizing into a table whose owner may not detokenize: a role that
# copied tokens into its own table must not get their plaintext
q -c "CREATE SCHEMA loot AUTHORIZATION un_thief" -c "SET ROLE un_thief" \
	-c "CREATE TABLE loot.cards (card privacy.card_token)" >/dev/null
q -c "INSERT INTO loot.cards SELECT card FROM app.payment" >/dev/null
check "refuse: detokenize into a table whose owner may not detokenize (42501)" "42501" \
	"$(qs -c "SELECT privacy.uninstall(tokens => 'detokenize', release_holds => true)")"
check "refuse: the detail names the column, never a value" "0" \
	"$(psql -X -q -d $db -c "SELECT privacy.uninstall(tokens => 'detokenize', release_holds => true)" 2>&1 | grep -c '4111')"
q -c "DROP SCHEMA loot CASCADE" >/dev/null 2>&1
# a check constraint on a card_token column would run as the superuser
q -c "SET ROLE un_owner" -c "ALTER TABLE app.payment ADD CONSTRAINT card_len CHECK (length(card::text) > 0)" >/dev/null
check "refuse: check constraint on a card_token column (55000)" "55000" \
	"$(qs -c "SELECT privacy.uninstall(tokens => 'text', release_holds => true)")"
q -c "SET ROLE un_owner" -c "ALTER TABLE app.payment DROP CONSTRAINT card_len" >/dev/null
# a view that uses the extension would make DROP EXTENSION fail
q -c "CREATE VIEW public.masked_emails AS SELECT privacy.mask_email(email) FROM app.customer" >/dev/null
check "refuse: a view uses the extension (2BP01)" "2BP01" \
	"$(qs -c "SELECT privacy.uninstall(tokens => 'text', release_holds => true)")"
check "refuse: the detail names the view" "1" \
	"$(psql -X -q -d $db -c "SELECT privacy.uninstall(tokens => 'text', release_holds => true)" 2>&1 | grep -c 'view public.masked_emails')"
q -c "DROP VIEW public.masked_emails" >/dev/null
check "refusals changed nothing" "$before" "$(state)"
# atomic on error: an error half-way (here: the owner-run UPDATE fails in a
# trigger of the owner's) rolls everything back
q >/dev/null <<'SQL'
GRANT USAGE ON SCHEMA app TO un_owner2;
SELECT privacy.grant_detokenize('un_owner', 'card');
SELECT privacy.grant_detokenize('un_owner', 'ssn');
SET ROLE un_owner;
CREATE FUNCTION app.fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'owner trigger failed'; END $$;
CREATE TRIGGER fail BEFORE UPDATE ON app.payment FOR EACH ROW EXECUTE FUNCTION app.fail();
SQL
before=$(state)
check "atomic: an error in the middle fails the call (P0001)" "P0001" \
	"$(qs -c "SELECT privacy.uninstall(tokens => 'detokenize', release_holds => true)")"
check "atomic: nothing changed" "$before" "$(state)"
# the owner's trigger runs as the owner (restricted), not as the superuser
q >/dev/null <<'SQL'
SET ROLE un_owner;
DROP TRIGGER fail ON app.payment;
CREATE TABLE app.who (who name, restricted boolean);
CREATE FUNCTION app.note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO app.who VALUES (current_user, false);
	RETURN NEW;
END $$;
CREATE TRIGGER note BEFORE UPDATE ON app.payment FOR EACH ROW EXECUTE FUNCTION app.note();
SQL

# the uninstall
audit_before=$(q -c "SELECT count(*) FROM privacy.audit_log")
report=$(q -c "SELECT privacy.uninstall(tokens => 'detokenize', release_holds => true)" 2>/dev/null)
check "uninstall succeeds" "1" "$(echo "$report" | grep -c '"values_detokenized": 20')"
check "the report names the table whose row security stays" "1" "$(echo "$report" | grep -c '"row_security_kept": \["app.later"\]')"
check "uninstall is audited (start, removals, end)" "1" \
	"$(q -c "SELECT (count(*) FILTER (WHERE action = 'uninstall') = 1 AND count(*) FILTER (WHERE action = 'uninstalled') = 1
		AND count(*) > $audit_before + 8)::int FROM privacy.audit_log")"
check "its detokenizations are in the audit log when it returns" "t" \
	"$(q -c "SELECT coalesce(sum(value_count), 0) >= 20 FROM privacy.audit_log WHERE action = 'detokenize'
		AND logged_at >= (SELECT logged_at FROM privacy.audit_log WHERE action = 'uninstall')")"
check "the owner's triggers ran as the owner" "un_owner" "$(q -c "SELECT string_agg(DISTINCT who, ',') FROM app.who")"
check "row security: pg_privacy's undone, the owners' kept" \
	"app.customer:00 app.event:00 app.event_2020:00 app.event_2021:00 app.forced:11 app.later:10 app.own_rls:10 app.payment:00 app.who:00" \
	"$(q -c "SELECT string_agg(format('%s:%s%s', c.oid::regclass, c.relrowsecurity::int, c.relforcerowsecurity::int), ' ' ORDER BY c.oid::regclass::text)
		FROM pg_class c WHERE c.relnamespace = 'app'::regnamespace AND c.relkind IN ('r', 'p')")"
check "no trigger of pg_privacy left" "0" \
	"$(q -c "SELECT count(*) FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_class c ON c.oid = t.tgrelid
		WHERE p.pronamespace = 'privacy'::regnamespace AND c.relnamespace <> 'privacy'::regnamespace")"
check "a second uninstall is harmless" "1" \
	"$(q -c "SELECT privacy.uninstall(tokens => 'text')" | grep -c '"card_columns_converted": 0')"
# drop_extension: DROP EXTENSION, again (at most 5 times) when it met a
# pg_privacy background worker still at work in the database (deadlock,
# 40P01: documented in doc/operations.md); prints the last outcome
drop_extension() {
	local i out
	for i in 1 2 3 4 5; do
		out=$(qs -c "DROP EXTENSION pg_privacy")
		[ "$out" = 40P01 ] || break
	done
	echo "$out"
}
check "DROP EXTENSION succeeds" "ok" "$(drop_extension)"
check "the extension is gone" "0" "$(q -c "SELECT count(*) FROM pg_extension WHERE extname = 'pg_privacy'")"

# the application role reads every table with the expected values
app() { q -c "SET ROLE un_app" -c "$1"; }
check "customer: every row, raw emails" "20|20" \
	"$(app "SELECT count(*), count(*) FILTER (WHERE email = 'user' || id || '@example.com') FROM app.customer")"
check "payment: plaintext cards and ssns back" "10|10" \
	"$(app "SELECT count(*), count(*) FILTER (WHERE (p.card, p.ssn) = (e.card, e.ssn)) FROM app.payment p JOIN public.expected e USING (id)")"
check "payment.card is text now" "text" \
	"$(q -c "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 'app.payment'::regclass AND attname = 'card'")"
check "payment: the index on card was rebuilt and is used" "1" \
	"$(q -c "SET enable_seqscan = off" -c "EXPLAIN (COSTS OFF) SELECT * FROM app.payment WHERE card = (SELECT card FROM public.expected WHERE id = 1)" | head -1 | grep -c 'Index')"
check "event: both partitions" "2" "$(app "SELECT count(*) FROM app.event")"
check "forced: the owner's policy still applies (and lets all through)" "1|a" "$(app "SELECT id, secret FROM app.forced")"
check "own_rls: the owner's policy still filters" "1|red" "$(app "SELECT id, team FROM app.own_rls")"
check "later: row security pg_privacy enabled stays on for the owner's later policy" "1|red" "$(app "SELECT id, team FROM app.later")"
check "held row still there" "1" "$(app "SELECT count(*) FROM app.customer WHERE id = 15")"
check "the privacy schema is gone" "0" "$(q -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'privacy'")"

# tokens => 'text' keeps the tokens (as text)
# (and the index on it is rebuilt as the table's owner, not as the superuser)
q -c "CREATE EXTENSION pg_privacy" -c "SELECT privacy.create_key('default')" \
	-c "SET ROLE un_owner" -c "CREATE TABLE app.t2 (id int, card privacy.card_token)" \
	-c "CREATE FUNCTION app.who(text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS \$\$ BEGIN RAISE NOTICE 'index expression runs as %', current_user; RETURN \$1; END \$\$" \
	-c "CREATE INDEX ON app.t2 (app.who(card::text))" -c "RESET ROLE" \
	-c "INSERT INTO app.t2 SELECT 1, privacy.tokenize('4012888888881881', 'card')" >/dev/null 2>&1
tok=$(q -c "SELECT card FROM app.t2")
check "text: the index is rebuilt as the table's owner" "un_owner" \
	"$(q -c "SELECT privacy.uninstall(tokens => 'text')" 2>&1 >/dev/null | sed -n 's/.*index expression runs as //p' | sort -u | tr '\n' ' ' | sed 's/ $//')"
drop_extension >/dev/null
check "text: tokens kept as text, extension dropped" "$tok|text|0" \
	"$(q -c "SELECT card || '|' || pg_typeof(card) || '|' || (SELECT count(*) FROM pg_extension WHERE extname = 'pg_privacy') FROM app.t2")"

# a database created with 0.1.0 and updated: what 0.1.0 recorded is enough
q -c "DROP SCHEMA app CASCADE" >/dev/null 2>&1
q >/dev/null 2>&1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pg_privacy VERSION '0.1.0';
SELECT privacy.create_key('default');
CREATE TABLE public.old (id int, email text, subject text, card privacy.card_token, created timestamptz);
GRANT SELECT ON public.old TO un_app;
INSERT INTO public.old VALUES (1, 'a@example.com', 's1', privacy.tokenize('4012888888881881', 'card'), now());
SELECT privacy.mask_column('public.old', 'email', 'privacy.mask_email(email)');
SELECT privacy.create_purpose('m', 'x');
SELECT privacy.require_consent('public.old', 'subject', 'm');
SELECT privacy.set_retention('public.old', 'created', '10 days');
SELECT privacy.place_hold('public.old', 'id = 1', 'r');
ALTER EXTENSION pg_privacy UPDATE;
SELECT privacy.uninstall(tokens => 'detokenize', release_holds => true);
SQL
drop_extension >/dev/null
# (the plaintext is compared, never printed: it is a canary of the leak scan)
check "0.1.0 updated: uninstalled, dropped, readable with plaintext" "0|1|a@example.com|true|text|00" \
	"$(q -c "SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'pg_privacy') || '|' || id || '|' || email || '|' || (card = '4012888888881881') || '|' || pg_typeof(card)
		|| '|' || (SELECT relrowsecurity::int || '' || relforcerowsecurity::int FROM pg_class WHERE oid = 'public.old'::regclass) FROM public.old" 2>&1)"
check "0.1.0 updated: the application role reads it" "1" "$(app "SELECT count(*) FROM public.old")"

cleanup
echo "uninstall: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
