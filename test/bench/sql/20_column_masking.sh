#!/usr/bin/env bash
# 20_column_masking.sh: the cost of dynamic masking, as ratios in one run.
#  * full scan of 1,000,000 rows with 5 masked columns: masked role reading
#    the columns vs an exempt role calling the same masks explicitly (the
#    mechanism's own overhead; target <= 1.10) and vs the raw scan;
#  * point lookup by primary key (pgbench, 2 clients): masked vs exempt TPS,
#    with the simple protocol (planned every time; target >= 0.9) and with
#    -M prepared (target >= 0.95), and an exempt role typing the same masks
#    (what the masks' own work costs), measured in interleaved rounds
#    (BENCH_LOOKUP_ROUNDS, default 5, BENCH_LOOKUP_SECONDS each, default 5):
#    the per-round ratio's median and its range.
# Needs PGHOST/PGPORT/PGDATABASE of a cluster preloading pg_privacy, as the
# superuser postgres.
set -euo pipefail
source test/bench/goals.sh
duration=${BENCH_SECONDS:-10}
psql -X -q -U postgres -v ON_ERROR_STOP=1 -o /dev/null <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench.masked5;
DROP ROLE IF EXISTS bench_masked;
DROP ROLE IF EXISTS bench_exempt;
CREATE TABLE bench.masked5 AS
SELECT id, email, phone, card, full_name, (id % 97)::int AS score FROM bench.people;
ALTER TABLE bench.masked5 ADD PRIMARY KEY (id);
VACUUM ANALYZE bench.masked5;
SELECT privacy.mask_column('bench.masked5', 'email', 'privacy.redact(email)');
SELECT privacy.mask_column('bench.masked5', 'phone', $$left(phone, 3) || '*******'$$);
SELECT privacy.mask_column('bench.masked5', 'card', $$'****' || right(card, 4)$$);
SELECT privacy.mask_column('bench.masked5', 'full_name', 'privacy.redact(full_name)');
SELECT privacy.mask_column('bench.masked5', 'score', '(score / 10) * 10');
CREATE ROLE bench_masked LOGIN;
CREATE ROLE bench_exempt LOGIN;
GRANT USAGE ON SCHEMA bench TO bench_masked, bench_exempt;
GRANT SELECT ON bench.masked5 TO bench_masked, bench_exempt;
SELECT privacy.grant_unmasked('bench_exempt', 'bench.masked5');
SQL

work=$(mktemp -d)
cat >"$work/scan_masked.sql" <<'SQL'
SELECT sum(length(email) + length(phone) + length(card) + length(full_name) + score) FROM bench.masked5;
SQL
cat >"$work/scan_explicit.sql" <<'SQL'
SELECT sum(length(privacy.redact(email)) + length(left(phone, 3) || '*******') + length('****' || right(card, 4))
	+ length(privacy.redact(full_name)) + (score / 10) * 10) FROM bench.masked5;
SQL
cat >"$work/lookup.sql" <<'SQL'
\set id random(1, 1000000)
SELECT * FROM bench.masked5 WHERE id = :id;
SQL
cat >"$work/lookup_explicit.sql" <<'SQL'
\set id random(1, 1000000)
SELECT id, privacy.redact(email) AS email, left(phone, 3) || '*******' AS phone, '****' || right(card, 4) AS card,
	privacy.redact(full_name) AS full_name, (score / 10) * 10 AS score FROM bench.masked5 WHERE id = :id;
SQL

# pgbench_latency ROLE SCRIPT CLIENTS TRANSACTIONS prints the average latency in ms
pgbench_latency() {
	pgbench -n -U "$1" -f "$2" -c "$3" -t "$4" 2>/dev/null | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p'
}
pgbench_tps() { # ROLE SCRIPT CLIENTS SECONDS [PROTOCOL]
	pgbench -n -U "$1" -M "${5:-simple}" -f "$2" -c "$3" -j "$3" -T "$4" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}
# stats prints "median [min-max]" of its arguments
stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f [%.3f-%.3f]", m, v[1], v[NR] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

# warm the cache, then alternate to spread noise over both sides
pgbench_latency bench_exempt "$work/scan_explicit.sql" 1 2 >/dev/null
masked=0 explicit=0 raw=0
for i in 1 2 3; do
	m=$(pgbench_latency bench_masked "$work/scan_masked.sql" 1 3)
	e=$(pgbench_latency bench_exempt "$work/scan_explicit.sql" 1 3)
	r=$(pgbench_latency bench_exempt "$work/scan_masked.sql" 1 3)
	masked=$(awk -v a="$masked" -v b="$m" 'BEGIN { print a + b }')
	explicit=$(awk -v a="$explicit" -v b="$e" 'BEGIN { print a + b }')
	raw=$(awk -v a="$raw" -v b="$r" 'BEGIN { print a + b }')
done
echo "full scan, 1M rows x 5 masked columns (ms per scan, 9 scans each):"
printf '  masked role (policies)       %10.1f ms\n' "$(awk -v a="$masked" 'BEGIN { print a / 3 }')"
printf '  exempt role, explicit masks  %10.1f ms\n' "$(awk -v a="$explicit" 'BEGIN { print a / 3 }')"
printf '  exempt role, raw columns     %10.1f ms\n' "$(awk -v a="$raw" 'BEGIN { print a / 3 }')"
echo "  ratio masked / explicit masks = $(ratio "$masked" "$explicit")   (target <= 1.10)"
echo "  ratio masked / raw            = $(ratio "$masked" "$raw")"

rounds=${BENCH_LOOKUP_ROUNDS:-5}
seconds=${BENCH_LOOKUP_SECONDS:-5}
simple=() prepared=() typed=()
pgbench_tps bench_exempt "$work/lookup.sql" 2 1 >/dev/null # warm up
for i in $(seq 1 "$rounds"); do
	# one round: the measurements back to back, so load shared with other
	# work hits both sides of each ratio alike; the order flips every round
	if [ $((i % 2)) -eq 1 ]; then
		ms=$(pgbench_tps bench_masked "$work/lookup.sql" 2 "$seconds")
		es=$(pgbench_tps bench_exempt "$work/lookup.sql" 2 "$seconds")
		xs=$(pgbench_tps bench_exempt "$work/lookup_explicit.sql" 2 "$seconds")
		mp=$(pgbench_tps bench_masked "$work/lookup.sql" 2 "$seconds" prepared)
		ep=$(pgbench_tps bench_exempt "$work/lookup.sql" 2 "$seconds" prepared)
	else
		ep=$(pgbench_tps bench_exempt "$work/lookup.sql" 2 "$seconds" prepared)
		mp=$(pgbench_tps bench_masked "$work/lookup.sql" 2 "$seconds" prepared)
		xs=$(pgbench_tps bench_exempt "$work/lookup_explicit.sql" 2 "$seconds")
		es=$(pgbench_tps bench_exempt "$work/lookup.sql" 2 "$seconds")
		ms=$(pgbench_tps bench_masked "$work/lookup.sql" 2 "$seconds")
	fi
	simple+=("$(ratio "$ms" "$es")")
	prepared+=("$(ratio "$mp" "$ep")")
	typed+=("$(ratio "$ms" "$xs")")
	echo "  round $i: simple masked $ms / exempt $es TPS; prepared masked $mp / exempt $ep TPS; exempt typing the masks $xs TPS"
done
echo "point lookup by primary key, pgbench 2 clients, $rounds interleaved rounds of ${seconds}s, per-round ratio median [min-max]:"
echo "  masked / exempt TPS, simple protocol   = $(stats "${simple[@]}")   (target >= 0.9)"
echo "  masked / exempt TPS, -M prepared       = $(stats "${prepared[@]}")   (target >= 0.95)"
echo "  masked / exempt typing the same masks, simple = $(stats "${typed[@]}")   (the mechanism's own cost)"
bench_goal "masked point lookup TPS / exempt, simple protocol" "$(stats "${simple[@]}")" ">= 0.9"
bench_goal "masked point lookup TPS / exempt, -M prepared" "$(stats "${prepared[@]}")" ">= 0.95"

psql -X -q -U postgres -c "DROP TABLE bench.masked5" -c "REVOKE USAGE ON SCHEMA bench FROM bench_masked, bench_exempt" \
	-c "DROP ROLE bench_masked" -c "DROP ROLE bench_exempt" >/dev/null
rm -rf "$work"
