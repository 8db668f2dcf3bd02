#!/usr/bin/env bash
# 60_static_masking.sh: static masking and tokenizing in place against a
# plain UPDATE of the same columns with constants, 1,000,000 rows (issue 19,
# target <= 1.5x). Each round rewrites fresh copies of the same table, in
# alternating order, and the ratio is taken per round: the median and the
# spread [min-max] of BENCH_ROUNDS rounds (default 3) are printed.
#  * privacy.anonymize_table() with 5 masks (those of 20_column_masking.sh)
#    vs UPDATE t SET email = 'x', phone = 'x', card = 'x', full_name = 'x',
#    score = 0 on an unmasked copy, and the same UPDATE on a copy with the
#    same masks (it pays what every UPDATE of a governed table pays: the
#    BEFORE UPDATE write-back guard trigger);
#  * privacy.retokenize() of a card-token column after rotate_key (every
#    token moved to the new key version: detokenize + tokenize per row, in
#    one UPDATE as the table's owner, issue 19) vs UPDATE t SET tok =
#    <constant>. BENCH_STATIC=retokenize runs only this pair.
# Needs PGHOST/PGPORT/PGDATABASE of a cluster preloading pg_privacy, as the
# superuser postgres, with bench.people (00_setup.sql) and bench.cards
# (30_tokenization.sql).
set -euo pipefail
rounds=${BENCH_ROUNDS_SQL:-3}
q() { psql -X -q -At -U postgres -v ON_ERROR_STOP=1 "$@"; }
# timed SQL prints the elapsed milliseconds of its last statement
timed() { psql -X -q -U postgres -v ON_ERROR_STOP=1 -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1; }
median_spread() { # values on stdin -> "median [min-max]"
	sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		printf "%.2f [%.2f-%.2f]", m, v[1], v[NR] }'
}
q -o /dev/null <<'SQL'
SET client_min_messages = warning;
SELECT privacy.create_key('default') WHERE NOT EXISTS (SELECT FROM privacy.keys WHERE name = 'default');
DROP TABLE IF EXISTS bench.static_src;
CREATE TABLE bench.static_src AS
SELECT p.id, p.email, p.phone, p.card, p.full_name, (p.id % 97)::int AS score, privacy.tokenize(c.card, 'card') AS tok
FROM bench.people p JOIN bench.cards c USING (id);
SQL
fresh() { # fresh NAME: a copy of the source with a primary key, vacuumed
	q -o /dev/null -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench.$1" \
		-c "CREATE TABLE bench.$1 AS SELECT * FROM bench.static_src" -c "ALTER TABLE bench.$1 ADD PRIMARY KEY (id)" \
		-c "VACUUM ANALYZE bench.$1"
}
masks() {
	q -o /dev/null <<SQL
SELECT privacy.mask_column('bench.$1', 'email', 'privacy.redact(email)');
SELECT privacy.mask_column('bench.$1', 'phone', \$\$left(phone, 3) || '*******'\$\$);
SELECT privacy.mask_column('bench.$1', 'card', \$\$'****' || right(card, 4)\$\$);
SELECT privacy.mask_column('bench.$1', 'full_name', 'privacy.redact(full_name)');
SELECT privacy.mask_column('bench.$1', 'score', '(score / 10) * 10');
SQL
}
anon=() anon_g=() retok=() anon_ms=() upd_ms=() updg_ms=() retok_ms=() updt_ms=()
for ((r = 1; r <= rounds; r++)); do
	if [ "${BENCH_STATIC:-}" != retokenize ]; then
		fresh static_a; masks static_a; fresh static_b; fresh static_e; masks static_e
	fi
	set_constants="SET email = 'x', phone = 'x', card = 'x', full_name = 'x', score = 0"
	if [ "${BENCH_STATIC:-}" = retokenize ]; then
		a=1 u=1 g=1
	elif ((r % 2)); then
		a=$(timed "SELECT privacy.anonymize_table('bench.static_a')")
		u=$(timed "UPDATE bench.static_b $set_constants")
		g=$(timed "UPDATE bench.static_e $set_constants")
	else
		g=$(timed "UPDATE bench.static_e $set_constants")
		u=$(timed "UPDATE bench.static_b $set_constants")
		a=$(timed "SELECT privacy.anonymize_table('bench.static_a')")
	fi
	anon+=("$(awk -v a="$a" -v b="$u" 'BEGIN { printf "%.4f", a / b }')") anon_ms+=("$a") upd_ms+=("$u")
	anon_g+=("$(awk -v a="$a" -v b="$g" 'BEGIN { printf "%.4f", a / b }')") updg_ms+=("$g")
	q -o /dev/null -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench.static_a, bench.static_b, bench.static_e"
	fresh static_c; fresh static_d
	q -o /dev/null -c "SELECT privacy.rotate_key('default')"
	if ((r % 2)); then
		t=$(timed "SELECT privacy.retokenize('bench.static_c', 'tok', 'card')")
		u=$(timed "UPDATE bench.static_d SET tok = '4111111111111111'")
	else
		u=$(timed "UPDATE bench.static_d SET tok = '4111111111111111'")
		t=$(timed "SELECT privacy.retokenize('bench.static_c', 'tok', 'card')")
	fi
	retok+=("$(awk -v a="$t" -v b="$u" 'BEGIN { printf "%.4f", a / b }')") retok_ms+=("$t") updt_ms+=("$u")
	q -o /dev/null -c "SET client_min_messages = warning" -c "DROP TABLE bench.static_c, bench.static_d"
done
source test/bench/goals.sh
echo "static masking in place, 1M rows, median of $rounds interleaved rounds [min-max]:"
[ "${BENCH_STATIC:-}" = retokenize ] || echo "  anonymize_table (5 masks) $(printf '%s\n' "${anon_ms[@]}" | median_spread) ms vs UPDATE with constants $(printf '%s\n' "${upd_ms[@]}" | median_spread) ms: ratio $(printf '%s\n' "${anon[@]}" | median_spread)   (target <= 1.5)"
[ "${BENCH_STATIC:-}" = retokenize ] || echo "  the same against the UPDATE with constants on a masked copy (guard trigger included) $(printf '%s\n' "${updg_ms[@]}" | median_spread) ms: ratio $(printf '%s\n' "${anon_g[@]}" | median_spread)"
echo "  retokenize (card, after rotate_key) $(printf '%s\n' "${retok_ms[@]}" | median_spread) ms vs UPDATE with a constant $(printf '%s\n' "${updt_ms[@]}" | median_spread) ms: ratio $(printf '%s\n' "${retok[@]}" | median_spread)   (target <= 1.5)"
[ "${BENCH_STATIC:-}" = retokenize ] || bench_goal "anonymize_table / UPDATE with constants, 1M rows" "$(printf '%s\n' "${anon[@]}" | median_spread)" "<= 1.5"
bench_goal "retokenize (card) / UPDATE with a constant, 1M rows" "$(printf '%s\n' "${retok[@]}" | median_spread)" "<= 1.5"
q -o /dev/null -c "DROP TABLE bench.static_src"
