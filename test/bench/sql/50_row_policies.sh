#!/usr/bin/env bash
# 50_row_policies.sh: the cost of consent gating, as ratios in one run.
# 1,000,000 rows, 100,000 subjects, half of them consenting: SELECT count(*)
# through the consent-gated table vs the same table without the policy
# (target <= 1.5x), and point lookups by primary key (pgbench, 2 clients) vs
# the ungated table (target >= 0.9x TPS). Needs PGHOST/PGPORT/PGDATABASE of a
# cluster preloading pg_privacy, as the superuser postgres.
set -euo pipefail
duration=${BENCH_SECONDS:-10}
psql -X -q -U postgres -v ON_ERROR_STOP=1 -o /dev/null <<'SQL'
SET client_min_messages = warning;
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
printf '\\set id random(1, 1000000)\nSELECT * FROM bench.gated WHERE id = :id;\n' >"$work/lookup_gated.sql"
printf '\\set id random(1, 1000000)\nSELECT * FROM bench.ungated WHERE id = :id;\n' >"$work/lookup_ungated.sql"
export PGOPTIONS="-c privacy.purpose=bench_marketing"
latency() { pgbench -n -U bench_marketer -f "$1" -c 1 -t "$2" 2>/dev/null | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p'; }
tps() { pgbench -n -U bench_marketer -M prepared -f "$1" -c 2 -j 2 -T "$duration" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
visible=$(psql -X -At -U bench_marketer -c "SELECT count(*) FROM bench.gated")
latency "$work/count_gated.sql" 2 >/dev/null
g=$(latency "$work/count_gated.sql" 10)
u=$(latency "$work/count_ungated.sql" 10)
echo "consent-gated count(*), 1M rows, 100k subjects, half consenting ($visible rows visible):"
echo "  gated ${g} ms, ungated ${u} ms, ratio gated / ungated = $(ratio "$g" "$u")   (target <= 1.5)"
tg=$(tps "$work/lookup_gated.sql")
tu=$(tps "$work/lookup_ungated.sql")
echo "point lookup by primary key, pgbench -M prepared, 2 clients, ${duration}s each:"
echo "  gated TPS = $tg, ungated TPS = $tu, ratio = $(ratio "$tg" "$tu")   (target >= 0.90)"
unset PGOPTIONS
psql -X -q -U postgres <<'SQL' >/dev/null
DROP TABLE bench.gated, bench.ungated;
DELETE FROM privacy._consent WHERE purpose = 'bench_marketing';
SELECT privacy.disallow_purpose('bench_marketer', 'bench_marketing');
REVOKE USAGE ON SCHEMA bench FROM bench_marketer;
DROP ROLE bench_marketer;
SQL
rm -rf "$work"
