#!/usr/bin/env bash
# 50_row_policies.sh: the cost of consent gating, as ratios in one run.
# 1,000,000 rows, 100,000 subjects, half of them consenting: SELECT count(*)
# through the consent-gated table vs the same table without the policy
# (target <= 1.5x), and point lookups by primary key (pgbench, 2 clients) vs
# the ungated table (target >= 0.9x TPS), each as the median of
# BENCH_ROUNDS_SQL (default 5) interleaved rounds with the spread of the
# per-round ratios [min-max]. Then the customer-scale part:
# BENCH_CONSENT_SUBJECTS subjects (default 200,000; set 10000000 for the
# 10M figures), one row each, half consenting, imported with the bulk API
# (target >= 100,000 subjects/s; printed per second of wall time and per
# second of the importing backend's CPU time, with the load average; the
# 10M case takes about 10 minutes and some 3 GB of disk); a fresh backend's first gated point lookup
# (target <= 5 ms); the consent state a backend holds (target <= 1 MB); and
# gated vs ungated point lookups while another session changes a consent
# every few milliseconds (a change costs other backends nothing). Needs
# PGHOST/PGPORT/PGDATABASE of a cluster preloading pg_privacy, as the
# superuser postgres.
set -euo pipefail
duration=${BENCH_SECONDS:-10}
psql -X -q -U postgres -v ON_ERROR_STOP=1 -o /dev/null <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench;
DROP TABLE IF EXISTS bench.gated, bench.ungated;
DROP ROLE IF EXISTS bench_marketer;
CREATE TABLE bench.gated AS SELECT n AS id, 'subject' || (n % 100000) AS subject, n % 1000 AS score
FROM generate_series(1, 1000000) n;
ALTER TABLE bench.gated ADD PRIMARY KEY (id);
CREATE TABLE bench.ungated AS SELECT * FROM bench.gated;
ALTER TABLE bench.ungated ADD PRIMARY KEY (id);
VACUUM ANALYZE bench.gated, bench.ungated;
CREATE ROLE bench_marketer LOGIN;
GRANT USAGE ON SCHEMA bench TO bench_marketer;
GRANT SELECT ON bench.gated, bench.ungated TO bench_marketer;
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM privacy._purpose WHERE name = 'bench_marketing') THEN
		PERFORM privacy.create_purpose('bench_marketing', 'benchmark');
	END IF;
END $$;
SELECT privacy.allow_purpose('bench_marketer', 'bench_marketing');
SELECT privacy.require_consent('bench.gated', 'subject', 'bench_marketing');
INSERT INTO privacy._consent (subject, purpose, granted_at, granted_by)
SELECT 'subject' || s, 'bench_marketing', now(), 'bench' FROM generate_series(0, 99999, 2) s;
ANALYZE privacy._consent;
SQL
work=$(mktemp -d)
echo "SELECT count(*) FROM bench.gated;" >"$work/count_gated.sql"
echo "SELECT count(*) FROM bench.ungated;" >"$work/count_ungated.sql"
# the floor of any per-row consent check: read each row's subject and hash it
echo "SELECT count(*) FROM bench.ungated WHERE hashtext(subject) <> 0;" >"$work/count_floor.sql"
printf '\\set id random(1, 1000000)\nSELECT * FROM bench.gated WHERE id = :id;\n' >"$work/lookup_gated.sql"
printf '\\set id random(1, 1000000)\nSELECT * FROM bench.ungated WHERE id = :id;\n' >"$work/lookup_ungated.sql"
export PGOPTIONS="-c privacy.purpose=bench_marketing"
latency() { pgbench -n -U bench_marketer -f "$1" -c 1 -t "$2" 2>/dev/null | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p'; }
tps() { pgbench -n -U bench_marketer -M prepared -f "$1" -c 2 -j 2 -T "${2:-$duration}" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
rounds=${BENCH_ROUNDS_SQL:-5}
# median_spread: per-round values on stdin -> "median [min-max]"
median_spread() {
	sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		printf "%.3f [%.3f-%.3f]", m, v[1], v[NR] }'
}
source test/bench/goals.sh
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores shared: ratios are medians of interleaved rounds)"
visible=$(psql -X -At -U bench_marketer -c "SELECT count(*) FROM bench.gated")
latency "$work/count_gated.sql" 2 >/dev/null
latency "$work/count_ungated.sql" 2 >/dev/null
cr=() fr=() gs=() us=()
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then g=$(latency "$work/count_gated.sql" 3); u=$(latency "$work/count_ungated.sql" 3); f=$(latency "$work/count_floor.sql" 3)
	else f=$(latency "$work/count_floor.sql" 3); u=$(latency "$work/count_ungated.sql" 3); g=$(latency "$work/count_gated.sql" 3); fi
	cr+=("$(ratio "$g" "$u")") fr+=("$(ratio "$f" "$u")") gs+=("$g") us+=("$u")
done
echo "consent-gated count(*), 1M rows, 100k subjects, half consenting ($visible rows visible), median of $rounds interleaved rounds [min-max]:"
echo "  gated $(printf '%s\n' "${gs[@]}" | median_spread) ms, ungated $(printf '%s\n' "${us[@]}" | median_spread) ms, ratio gated / ungated = $(printf '%s\n' "${cr[@]}" | median_spread)   (target <= 1.5)"
echo "  the floor of a per-row check, count(*) WHERE hashtext(subject) <> 0 / ungated = $(printf '%s\n' "${fr[@]}" | median_spread)"
bench_goal "consent-gated count(*) / ungated, 1M rows, 100k subjects" "$(printf '%s\n' "${cr[@]}" | median_spread)" "<= 1.5"
bench_goal "  the floor of any per-row check (hashtext) / ungated" "$(printf '%s\n' "${fr[@]}" | median_spread)" "-"
# load-independent: the backend's CPU time for serial count(*)s (no
# parallel workers: all the work is the one backend's), gated and ungated
# interleaved, 8 statements per round
cpu_count() {
	{
		echo "SET max_parallel_workers_per_gather = 0;"
		echo "SELECT split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint AS t0 FROM (SELECT pg_catalog.pg_read_file('/proc/' || pg_backend_pid() || '/stat') AS s) x \\gset"
		echo "SET ROLE bench_marketer;"
		for _ in 1 2 3 4 5 6 7 8; do echo "SELECT count(*) FROM bench.$1;"; done
		echo "RESET ROLE;"
		echo "SELECT (split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint - :t0) * 1000.0 / $(getconf CLK_TCK) / 8 FROM (SELECT pg_catalog.pg_read_file('/proc/' || pg_backend_pid() || '/stat') AS s) x;"
	} | psql -X -q -At -U postgres | tail -1
}
ccr=() cgs=() cus=()
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then g=$(cpu_count gated); u=$(cpu_count ungated); else u=$(cpu_count ungated); g=$(cpu_count gated); fi
	ccr+=("$(ratio "$g" "$u")") cgs+=("$g") cus+=("$u")
done
echo "  serial count(*), the backend's CPU time per statement: gated $(printf '%s\n' "${cgs[@]}" | median_spread) ms, ungated $(printf '%s\n' "${cus[@]}" | median_spread) ms, ratio = $(printf '%s\n' "${ccr[@]}" | median_spread)"
short=$(( duration / 2 > 2 ? duration / 2 : 2 ))
lr=()
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then tg=$(tps "$work/lookup_gated.sql" "$short"); tu=$(tps "$work/lookup_ungated.sql" "$short")
	else tu=$(tps "$work/lookup_ungated.sql" "$short"); tg=$(tps "$work/lookup_gated.sql" "$short"); fi
	lr+=("$(ratio "$tg" "$tu")")
done
echo "point lookup by primary key, pgbench -M prepared, 2 clients, $rounds interleaved rounds of ${short}s each:"
echo "  ratio gated / ungated TPS = $(printf '%s\n' "${lr[@]}" | median_spread)   (target >= 0.90)"
bench_goal "consent-gated point lookup TPS / ungated (prepared)" "$(printf '%s\n' "${lr[@]}" | median_spread)" ">= 0.9"

# ---- customer scale ----------------------------------------------------
subjects=${BENCH_CONSENT_SUBJECTS:-200000}
chunk=100000
psql -X -q -U postgres -v ON_ERROR_STOP=1 -o /dev/null -v subjects="$subjects" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench.scale_gated, bench.scale_ungated;
CREATE TABLE bench.scale_gated AS SELECT n AS id, 'customer' || n AS subject, n % 1000 AS score
FROM generate_series(1, :subjects) n;
ALTER TABLE bench.scale_gated ADD PRIMARY KEY (id);
CREATE TABLE bench.scale_ungated AS SELECT * FROM bench.scale_gated;
ALTER TABLE bench.scale_ungated ADD PRIMARY KEY (id);
VACUUM ANALYZE bench.scale_gated, bench.scale_ungated;
GRANT SELECT ON bench.scale_gated, bench.scale_ungated TO bench_marketer;
SELECT privacy.require_consent('bench.scale_gated', 'subject', 'bench_marketing');
SQL
# the import: half the subjects, $chunk per call, one transaction per call,
# all from one session so that its backend's CPU time can be read too (on a
# shared machine the wall-clock rate mostly measures the other load)
ticks="SELECT split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint AS"
ticks="$ticks ticks FROM (SELECT pg_catalog.pg_read_file('/proc/' || pg_backend_pid() || '/stat') AS s) x"
{
	echo "$ticks \\gset before_"
	for ((lo = 2; lo <= subjects; lo += 2 * chunk)); do
		hi=$((lo + 2 * chunk - 2)); [ $hi -gt "$subjects" ] && hi=$subjects
		echo "SELECT privacy.grant_consent(array_agg('customer' || n), 'bench_marketing') FROM generate_series($lo, $hi, 2) n;"
	done
	echo "$ticks \\gset after_"
	echo "\\o"
	echo "SELECT :after_ticks - :before_ticks;"
} >"$work/import.sql"
start=$(date +%s.%N)
cpu_ticks=$(psql -X -q -At -U postgres -v ON_ERROR_STOP=1 -o /dev/null -f "$work/import.sql")
end=$(date +%s.%N)
clk_tck=$(getconf CLK_TCK)
imported=$(psql -X -At -U postgres -c "SELECT count(*) FROM privacy._consent WHERE purpose = 'bench_marketing' AND subject LIKE 'customer%' AND revoked_at IS NULL")
audit_rows=$(psql -X -At -U postgres -c "SELECT count(*) FROM privacy.audit_log WHERE action = 'grant consent' AND object = 'purpose bench_marketing'")
psql -X -q -U postgres -c "ANALYZE privacy._consent" >/dev/null
wall_rate=$(awk -v n="$imported" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')
cpu_rate=$(awk -v n="$imported" -v t="$cpu_ticks" -v hz="$clk_tck" 'BEGIN { if (t > 0) printf "%.0f", n * hz / t; else print "n/a" }')
bench_goal "bulk consent import, subjects/s of wall time ($imported subjects)" "$wall_rate" ">= 100000"
bench_goal "  the same per second of the importing backend's CPU time" "$cpu_rate" "-"
echo "customer scale: $subjects subjects, one row each, $imported consenting:"
echo "  bulk import privacy.grant_consent(text[], ...) in calls of $chunk: $(awk -v n="$imported" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }') subjects/s of wall time, $(awk -v n="$imported" -v t="$cpu_ticks" -v hz="$clk_tck" 'BEGIN { if (t > 0) printf "%.0f", n * hz / t; else print "n/a" }') per second of the backend's CPU time, $audit_rows audit rows   (target >= 100000; load average $(cut -d' ' -f1-3 /proc/loadavg))"
first() {
	local t=() i
	for i in 1 2 3 4 5 6 7; do
		t+=("$(psql -X -U bench_marketer -c '\timing on' -c "SELECT * FROM bench.$1 WHERE id = $((RANDOM * 7 % subjects + 1))" |
			sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')")
	done
	printf '%s\n' "${t[@]}" | sort -n | sed -n 4p
}
fg=$(first scale_gated)
fu=$(first scale_ungated)
echo "  a fresh backend's first point lookup (median of 7 new sessions): gated ${fg} ms, ungated ${fu} ms   (target <= 5 ms)"
bench_goal "a fresh backend's first gated point lookup, ms ($subjects subjects)" "$fg" "<= 5"
# as the superuser (pg_backend_memory_contexts), gated through SET ROLE
state=$(psql -X -At -U postgres <<'SQL' | tail -1
SET ROLE bench_marketer;
SELECT count(*) FROM bench.scale_gated WHERE id BETWEEN 1 AND 1000;
SELECT * FROM bench.scale_gated WHERE id = 42;
SELECT count(*) FROM bench.gated;
RESET ROLE;
SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts WHERE name LIKE '%consent%';
SQL
)
echo "  consent state a backend holds after gated lookups and scans: ${state} bytes   (target <= 1 MB)"
bench_goal "consent state a backend holds, bytes" "$state" "<= 1048576"
printf '\\set id random(1, %s)\nSELECT * FROM bench.scale_gated WHERE id = :id;\n' "$subjects" >"$work/scale_gated.sql"
printf '\\set id random(1, %s)\nSELECT * FROM bench.scale_ungated WHERE id = :id;\n' "$subjects" >"$work/scale_ungated.sql"
# a steady stream of consent changes from another session while lookups run
psql -X -q -U postgres -o /dev/null <<SQL &
DO \$stream\$
DECLARE
	stop timestamptz := clock_timestamp() + make_interval(secs => $((2 * rounds * short + 4)));
	n int;
BEGIN
	WHILE clock_timestamp() < stop LOOP
		n := 2 * (1 + floor(random() * ($subjects / 2 - 1)))::int;
		PERFORM privacy.revoke_consent('customer' || n, 'bench_marketing');
		PERFORM privacy.grant_consent('customer' || n, 'bench_marketing');
		COMMIT;
		PERFORM pg_sleep(0.005);
	END LOOP;
END \$stream\$;
SQL
stream=$!
sr=()
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then sg=$(tps "$work/scale_gated.sql" "$short"); su=$(tps "$work/scale_ungated.sql" "$short")
	else su=$(tps "$work/scale_ungated.sql" "$short"); sg=$(tps "$work/scale_gated.sql" "$short"); fi
	sr+=("$(ratio "$sg" "$su")")
done
wait $stream
changes=$(psql -X -At -U postgres -c "SELECT count(*) FROM privacy._consent WHERE purpose = 'bench_marketing' AND subject LIKE 'customer%' AND revoked_at IS NOT NULL")
echo "  point lookups while consents change ($changes revocations in $((2 * rounds * short + 4)) s), $rounds interleaved rounds of ${short}s: ratio gated / ungated TPS = $(printf '%s\n' "${sr[@]}" | median_spread)   (target >= 0.90)"
bench_goal "consent-gated point lookup TPS / ungated while consents change" "$(printf '%s\n' "${sr[@]}" | median_spread)" ">= 0.9"
# scans of the customer table: the purpose's standing consents fit the
# per-query set only with a larger work_mem; otherwise every row probes
scan() {
	psql -X -U bench_marketer -c '\timing on' -c "SET work_mem = '$1'" -c "SELECT count(*) FROM bench.$2" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}
cu=$(scan 4MB scale_ungated)
cg=$(scan 4MB scale_gated)
cu2=$(scan 256MB scale_ungated)
cg2=$(scan 256MB scale_gated)
echo "  count(*) of the customer table, gated / ungated: work_mem 4MB (probes) ${cg} / ${cu} ms = $(ratio "$cg" "$cu"); work_mem 256MB (set) ${cg2} / ${cu2} ms = $(ratio "$cg2" "$cu2")"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
psql -X -q -U postgres <<'SQL' >/dev/null
DROP TABLE bench.scale_gated, bench.scale_ungated;
SQL
unset PGOPTIONS
psql -X -q -U postgres <<'SQL' >/dev/null
DROP TABLE bench.gated, bench.ungated;
DELETE FROM privacy._consent WHERE purpose = 'bench_marketing';
DELETE FROM privacy.audit_log WHERE object = 'purpose bench_marketing';
SELECT privacy.disallow_purpose('bench_marketer', 'bench_marketing');
REVOKE USAGE ON SCHEMA bench FROM bench_marketer;
DROP ROLE bench_marketer;
SQL
rm -rf "$work"
