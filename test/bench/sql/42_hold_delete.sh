#!/usr/bin/env bash
# 42_hold_delete.sh: the per-row cost of DELETE on a table under a legal hold
# with a condition (issue 19, holds: the condition is evaluated by
# pg_privacy's C row trigger as the table's owner). BENCH_HOLD_ROWS rows
# (default 100,000) are deleted (and rolled back) from a held table whose
# hold matches none of them, from the same table without a hold, and from
# one carrying the pre-issue-19 form of the guard (an AFTER DELETE row
# trigger whose WHEN clause is the condition, evaluated by PostgreSQL), in
# interleaved rounds (BENCH_HOLD_ROUNDS, default 5). CPU time is the
# backend's own (/proc/PID/schedstat, nanoseconds on CPU), so load on other
# cores does not count. Prints the held/unheld ratio (median [min-max]) and
# the extra CPU per row. Needs PGHOST/PGPORT/PGDATABASE of a cluster
# preloading pg_privacy, as the superuser postgres. Nothing fails on timing.
# BENCH_HOLD_CONDITION replaces the condition (over id int, payload text),
# e.g. "to_char(id, 'FM999999') = 'none'": a condition calling a STABLE
# built-in runs under the fixed settings of hold conditions, one GUC nest
# level per row (red-team 8 F1); the default one calls immutable built-ins
# only and needs none.
set -euo pipefail
rows=${BENCH_HOLD_ROWS:-100000}
condition=${BENCH_HOLD_CONDITION:-"id < 0 AND payload = 'none'"}
condition_sql=${condition//\'/\'\'}
when=${condition//id/old.id}
when=${when//payload/old.payload}
rounds=${BENCH_HOLD_ROUNDS:-5}
q() { psql -X -q -U postgres -v ON_ERROR_STOP=1 -At "$@"; }

q <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS hold_bench_held, hold_bench_plain, hold_bench_when;
DROP FUNCTION IF EXISTS hold_bench_refuse();
DROP ROLE IF EXISTS hold_bench_owner;
CREATE ROLE hold_bench_owner;
CREATE TABLE hold_bench_held AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, $rows) g;
CREATE TABLE hold_bench_plain AS SELECT * FROM hold_bench_held;
CREATE TABLE hold_bench_when AS SELECT * FROM hold_bench_held;
CREATE FUNCTION hold_bench_refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'held'; END\$\$;
CREATE TRIGGER hold_bench_when AFTER DELETE ON hold_bench_when FOR EACH ROW
	WHEN (($when) IS TRUE) EXECUTE FUNCTION hold_bench_refuse();
ALTER TABLE hold_bench_held OWNER TO hold_bench_owner;
ALTER TABLE hold_bench_plain OWNER TO hold_bench_owner;
ALTER TABLE hold_bench_when OWNER TO hold_bench_owner;
VACUUM ANALYZE hold_bench_held, hold_bench_plain, hold_bench_when;
SELECT privacy.place_hold('hold_bench_held', '$condition_sql', 'bench') > 0;
SQL

# cpu TABLE: nanoseconds of backend CPU for DELETE FROM TABLE (rolled back)
cpu() {
	q <<SQL
SELECT pg_backend_pid() AS pid \gset
\setenv HOLD_BENCH_PID :pid
SET work_mem = '64MB';
BEGIN;
SELECT 1 FROM hold_bench_held LIMIT 0;
\! cut -d' ' -f1 /proc/\$HOLD_BENCH_PID/schedstat > /tmp/hold_bench_t0.$$
DELETE FROM $1;
\! cut -d' ' -f1 /proc/\$HOLD_BENCH_PID/schedstat > /tmp/hold_bench_t1.$$
ROLLBACK;
SQL
	echo $(( $(cat /tmp/hold_bench_t1.$$) - $(cat /tmp/hold_bench_t0.$$) ))
}

ratios=() extra=() held_ns=() plain_ns=() when_ns=() when_extra=() vs_when=()
for r in $(seq 1 "$rounds"); do
	p=$(cpu hold_bench_plain); h=$(cpu hold_bench_held); w=$(cpu hold_bench_when)
	held_ns+=("$h"); plain_ns+=("$p"); when_ns+=("$w")
	ratios+=("$(awk -v h="$h" -v p="$p" 'BEGIN { printf "%.3f", h / p }')")
	vs_when+=("$(awk -v h="$h" -v w="$w" 'BEGIN { printf "%.3f", h / w }')")
	extra+=("$(awk -v h="$h" -v p="$p" -v n="$rows" 'BEGIN { printf "%.0f", (h - p) / n }')")
	when_extra+=("$(awk -v w="$w" -v p="$p" -v n="$rows" 'BEGIN { printf "%.0f", (w - p) / n }')")
done
rm -f /tmp/hold_bench_t0.$$ /tmp/hold_bench_t1.$$
summary() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s [%s-%s]", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
echo "rows: $rows, rounds: $rounds (interleaved)"
echo "DELETE CPU ns/row, unheld table: $(summary $(for p in "${plain_ns[@]}"; do echo $(( p / rows )); done))"
echo "DELETE CPU ns/row, held table (hold matching no row): $(summary $(for h in "${held_ns[@]}"; do echo $(( h / rows )); done))"
echo "DELETE CPU ns/row, WHEN-clause trigger (before issue 19): $(summary $(for w in "${when_ns[@]}"; do echo $(( w / rows )); done))"
echo "held/unheld DELETE CPU ratio: $(summary "${ratios[@]}")"
echo "held (C guard) / WHEN-clause trigger DELETE CPU ratio: $(summary "${vs_when[@]}")"
echo "extra CPU per row under a hold (ns), C guard: $(summary "${extra[@]}")"
echo "extra CPU per row (ns), WHEN-clause trigger: $(summary "${when_extra[@]}")"
q -c "SELECT privacy.release_hold(id) FROM privacy.legal_holds WHERE reason = 'bench'" >/dev/null 2>&1 || true
q -c "DROP TABLE hold_bench_held, hold_bench_plain, hold_bench_when" -c "DROP FUNCTION hold_bench_refuse()" \
	-c "DROP ROLE hold_bench_owner" >/dev/null
