#!/usr/bin/env bash
# dump_restore.sh: tokens survive pg_dump -Fc / pg_restore unchanged (the
# card_token input function validates and never tokenizes), wrapped data
# keys, custom token formats and detokenize grants come back, and detokenize
# in the restored database returns the original values (same cluster, so the
# same master key); the masking secret is dumped wrapped and pseudonyms
# survive the restore (and fail clearly under another master key). Also: a
# plain-format dump restored with psql (COPY text)
# and a binary COPY round trip leave the tokens unchanged.
# Needs PGHOST/PGPORT (PGUSER: the superuser) of a running cluster
# preloading pg_privacy with privacy.master_key_file set.
# Prints "roundtrip-tokens: N passed, M failed".
set -uo pipefail
export PGUSER=${PGUSER:-postgres}
work=$(mktemp -d /tmp/pg_privacy_rt_tok.XXXXXX)
chmod 755 "$work"
passed=0
failed=0
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "roundtrip-tokens: $1: expected [$2], got [$3]" >&2
	fi
}

for db in rt_tok_src rt_tok_dst rt_tok_plain rt_tok_moved; do q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
q -d postgres -c "DROP ROLE IF EXISTS rt_tok_reader" >/dev/null 2>&1
q -d postgres -c "CREATE ROLE rt_tok_reader" -c "CREATE DATABASE rt_tok_src" >/dev/null
q -d rt_tok_src >/dev/null <<'SQL'
CREATE EXTENSION pg_privacy;
SELECT privacy.create_key('default');
SELECT privacy.create_key('rt_ref_key');
SELECT privacy.create_token_format('rt_ref', '0123456789ABCDEF', 'rt_ref_key', '-', 2, 0);
SELECT privacy.grant_detokenize('rt_tok_reader', 'card');
CREATE TABLE card_src (id int PRIMARY KEY, card text);
INSERT INTO card_src
SELECT n, p || (10 - (SELECT sum(CASE WHEN (16 - i) % 2 = 1 THEN
		(CASE WHEN substr(p, i, 1)::int * 2 > 9 THEN substr(p, i, 1)::int * 2 - 9 ELSE substr(p, i, 1)::int * 2 END)
		ELSE substr(p, i, 1)::int END) FROM generate_series(1, 15) i) % 10) % 10
FROM (SELECT n, (453201000000000 + n * 104729)::text AS p FROM generate_series(1, 500) n) s;
CREATE TABLE payment (id int PRIMARY KEY, card_tok privacy.card_token NOT NULL, ssn_tok text, ref_tok text);
INSERT INTO payment
SELECT id, privacy.tokenize(card, 'card'),
	privacy.tokenize(lpad((id * 7919)::text, 9, '0'), 'ssn'),
	privacy.tokenize('AB-' || upper(lpad(to_hex(id * 31337), 8, '0')), 'rt_ref')
FROM card_src;
CREATE INDEX ON payment (card_tok);
GRANT SELECT ON payment TO rt_tok_reader;
SQL
tokens() { q -d "$1" -c "SELECT id, card_tok, ssn_tok, ref_tok FROM payment ORDER BY id" | md5sum; }
detok() {
	q -d "$1" -c "SELECT id, privacy.detokenize(card_tok, 'card'), privacy.detokenize(ssn_tok, 'ssn'),
		privacy.detokenize(ref_tok, 'rt_ref') FROM payment ORDER BY id" | md5sum
}
originals() {
	q -d rt_tok_src -c "SELECT id, card, lpad((id * 7919)::text, 9, '0'), 'AB-' || upper(lpad(to_hex(id * 31337), 8, '0'))
		FROM card_src ORDER BY id" | md5sum
}
src_tokens=$(tokens rt_tok_src)
check "source detokenizes to the originals" "$(originals)" "$(detok rt_tok_src)"

# 1. custom-format dump, restore into a new database
pg_dump -Fc -f "$work/src.dump" rt_tok_src
q -d postgres -c "CREATE DATABASE rt_tok_dst" >/dev/null
pg_restore -d rt_tok_dst "$work/src.dump" 2>"$work/restore.log"
check "pg_restore reported no error" "0" "$(grep -c ERROR "$work/restore.log")"
check "tokens unchanged after restore (not re-tokenized)" "$src_tokens" "$(tokens rt_tok_dst)"
check "detokenize after restore returns the originals" "$(originals)" "$(detok rt_tok_dst)"
check "key versions restored" "default|1 rt_ref_key|1" \
	"$(q -d rt_tok_dst -c "SELECT string_agg(name || '|' || version, ' ' ORDER BY name) FROM privacy.keys")"
check "custom format restored" "1" "$(q -d rt_tok_dst -c "SELECT count(*) FROM privacy.token_formats WHERE name = 'rt_ref'")"
check "built-in formats not duplicated" "6" "$(q -d rt_tok_dst -c "SELECT count(*) FROM privacy.token_formats WHERE builtin")"
check "detokenize grant restored" "rt_tok_reader|card" \
	"$(q -d rt_tok_dst -c "SELECT role || '|' || format FROM privacy.detokenize_grants")"
check "grant works after restore" "500" \
	"$(q -d rt_tok_dst -c "SET ROLE rt_tok_reader" -c "SELECT count(privacy.detokenize(card_tok, 'card')) FROM payment")"
check "index usable after restore" "1" \
	"$(q -d rt_tok_dst -c "SET enable_seqscan = off" -c "SELECT count(*) FROM payment WHERE card_tok = (SELECT card_tok FROM payment WHERE id = 7)")"
check "new tokens equal old ones after restore" "0" \
	"$(q -d rt_tok_dst -c "SELECT count(*) FROM payment WHERE card_tok::text <> privacy.tokenize(privacy.detokenize(card_tok, 'card'), 'card')")"
check "dump holds keys only wrapped (72-byte values)" "2" \
	"$(pg_restore -a -t _key -f - "$work/src.dump" | grep -cE '\\\\x[0-9a-f]{144}\b')"

# 2. plain-format dump restored with psql (COPY ... FROM stdin, text input)
pg_dump -Fp -f "$work/src.sql" rt_tok_src
q -d postgres -c "CREATE DATABASE rt_tok_plain" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d rt_tok_plain -f "$work/src.sql" >/dev/null 2>"$work/plain.log"
check "plain restore succeeded" "0" "$?"
check "tokens unchanged after plain restore" "$src_tokens" "$(tokens rt_tok_plain)"
check "detokenize after plain restore" "$(originals)" "$(detok rt_tok_plain)"

# 3. binary COPY out and in
q -d rt_tok_dst -c "CREATE TABLE payment_bin (LIKE payment)" >/dev/null
q -d rt_tok_src -c "COPY payment TO STDOUT (FORMAT binary)" >"$work/payment.bin"
q -d rt_tok_dst -c "COPY payment_bin FROM STDIN (FORMAT binary)" <"$work/payment.bin"
check "binary COPY leaves tokens unchanged" "$src_tokens" \
	"$(q -d rt_tok_dst -c "SELECT id, card_tok, ssn_tok, ref_tok FROM payment_bin ORDER BY id" | md5sum)"

# 4. (issue 20) a rotated key with a non-card format moved to the new
# version: the version a built-in format records is dumped and restored
# (built-in formats themselves are not dumped), so its tokens still read
q -d rt_tok_src -c "SELECT privacy.rotate_key('default')" \
	-c "SELECT privacy.classify('payment', 'ssn_tok', 'national_id', token_format => 'ssn')" \
	-c "SELECT privacy.retokenize('payment', 'ssn_tok', 'ssn')" >/dev/null
check "ssn moved to version 2 in the source" "2" \
	"$(q -d rt_tok_src -c "SELECT key_version FROM privacy.token_formats WHERE name = 'ssn'")"
moved_tokens=$(tokens rt_tok_src)
pg_dump -Fc -f "$work/moved.dump" rt_tok_src
q -d postgres -c "DROP DATABASE IF EXISTS rt_tok_moved" -c "CREATE DATABASE rt_tok_moved" >/dev/null 2>&1
pg_restore -d rt_tok_moved "$work/moved.dump" 2>"$work/moved.log"
check "moved: pg_restore reported no error" "0" "$(grep -c ERROR "$work/moved.log")"
check "moved: format version restored" "ssn|2" \
	"$(q -d rt_tok_moved -c "SELECT name || '|' || key_version FROM privacy.token_formats WHERE name = 'ssn'")"
check "moved: tokens unchanged after restore" "$moved_tokens" "$(tokens rt_tok_moved)"
check "moved: detokenize after restore returns the originals" "$(originals)" "$(detok rt_tok_moved)"

# 5. (issue 20) the masking secret is dumped wrapped, never in clear, and a
# restore into a fresh database under the same master key keeps pseudonyms,
# date shifts and fakes; under another master key they fail with 55000 (and
# a hint) instead of silently changing
keyed="SELECT privacy.pseudonym('rt-subject') || ' ' || privacy.shift_date('2020-01-01'::date, 30)
	|| ' ' || privacy.fake_email('rt-subject')"
check "source secret is wrapped" "72 true" \
	"$(q -d rt_tok_src -c "SELECT octet_length(secret) || ' ' || (master_key_id IS NOT NULL) FROM privacy._masking_secret")"
check "dump holds the masking secret only wrapped (72-byte value)" "1" \
	"$(pg_restore -a -t _masking_secret -f - "$work/moved.dump" | grep -cE '\\\\x[0-9a-f]{144}\b')"
src_keyed=$(q -d rt_tok_src -c "$keyed")
check "source computes keyed masks" "1" "$([ -n "$src_keyed" ] && echo 1)"
check "pseudonyms unchanged after restore (same master key)" "$src_keyed" "$(q -d rt_tok_moved -c "$keyed")"
# another master key for the cluster, for as long as it takes to look
q -d postgres -c "COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; umask 077; printf \"%064d\\n\" 5 > rt_other_master.key'" \
	-c "ALTER SYSTEM SET privacy.master_key_file = 'rt_other_master.key'" -c "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 1 200); do
	[ "$(q -d rt_tok_moved -c "SHOW privacy.master_key_file")" = rt_other_master.key ] && break
	sleep 0.05
done
other=$(q -d rt_tok_moved -c "
	DO \$\$ BEGIN PERFORM privacy.pseudonym('rt-subject'); RAISE NOTICE 'no error';
	EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$" 2>&1 | sed 's/^NOTICE: *//')
check "restored under another master key: keyed masks fail with 55000" "55000" "$other"
q -d postgres -c "ALTER SYSTEM RESET privacy.master_key_file" -c "SELECT pg_reload_conf()" \
	-c "COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; rm -f rt_other_master.key'" >/dev/null
for _ in $(seq 1 200); do
	[ "$(q -d rt_tok_moved -c "SHOW privacy.master_key_file")" != rt_other_master.key ] && break
	sleep 0.05
done
check "back under the cluster's master key: pseudonyms as in the source" "$src_keyed" "$(q -d rt_tok_moved -c "$keyed")"

for db in rt_tok_src rt_tok_dst rt_tok_plain rt_tok_moved; do q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
q -d postgres -c "DROP ROLE IF EXISTS rt_tok_reader" >/dev/null 2>&1
rm -rf "$work"
echo "roundtrip-tokens: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
