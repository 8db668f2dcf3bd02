#!/usr/bin/env bash
# 40_retention.sh: retention purge costs, as ratios measured in one run.
#  * BENCH_RETENTION_ROWS rows (default 5,000,000) over 100 days, 30% expired,
#    in time order and scattered: privacy.purge_now() unthrottled vs one
#    DELETE of the same rows (target <= 1.3), and WAL bytes per purged row;
#  * a table partitioned by day: purge_now dropping the expired partitions
#    vs deleting their rows (target >= 100x faster).
# The purge under a live workload (fsync on) is 41_retention_load.sh.
# Needs PGHOST/PGPORT/PGDATABASE of a cluster preloading pg_privacy, as the
# superuser postgres. Nothing here fails on timing.
set -euo pipefail
rows=${BENCH_RETENTION_ROWS:-5000000}
duration=${BENCH_SECONDS:-20}
q() { psql -X -q -U postgres -v ON_ERROR_STOP=1 -At "$@"; }

q -c "ALTER SYSTEM SET privacy.purge_naptime = 3600" -c "SELECT pg_reload_conf()" >/dev/null
q <<SQL
DROP TABLE IF EXISTS ret_src_ordered, ret_src_scattered;
CREATE TABLE ret_src_ordered AS
	SELECT g AS id, now() - interval '100 days' + (g::float8 / $rows) * interval '100 days' AS created,
	       md5(g::text) AS payload
	FROM generate_series(1, $rows) g;
CREATE TABLE ret_src_scattered AS SELECT * FROM ret_src_ordered ORDER BY md5(id::text);
SQL

# measure LABEL SQL: prints "seconds wal_bytes" of SQL run in one transaction
measure() {
	q <<SQL
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS l0, clock_timestamp() AS t0 \gset
$1
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 3) || ' ' ||
	(pg_current_wal_insert_lsn() - :'l0'::pg_lsn);
SQL
}

echo "rows: $rows, expired: 30%"
for layout in ordered scattered; do
	q -c "DROP TABLE IF EXISTS ret_a, ret_b" -c "CREATE TABLE ret_a AS SELECT * FROM ret_src_$layout" \
		-c "CREATE TABLE ret_b AS SELECT * FROM ret_src_$layout" -c "VACUUM ANALYZE ret_a" -c "VACUUM ANALYZE ret_b"
	expired=$(q -c "SELECT count(*) FROM ret_a WHERE created < now() - interval '70 days'")
	read -r t_delete w_delete < <(measure "DELETE FROM ret_a WHERE created < now() - interval '70 days';")
	q -c "SELECT privacy.set_retention('ret_b', 'created', '70 days')" >/dev/null
	read -r t_purge w_purge < <(measure "SELECT method || ' ' || rows_purged AS result FROM privacy.purge_now('ret_b') \gset")
	echo "$layout: expired rows $expired"
	q <<SQL
SELECT '$layout: one DELETE ' || $t_delete || ' s, purge_now ' || $t_purge || ' s (ratio ' ||
	round($t_purge / nullif($t_delete, 0), 2) || ', target <= 1.3); WAL bytes/row: DELETE ' ||
	round($w_delete::numeric / nullif($expired, 0), 1) || ', purge ' || round($w_purge::numeric / nullif($expired, 0), 1) ||
	' (ratio ' || round($w_purge::numeric / nullif($w_delete, 0), 2) || ')';
SELECT '$layout: method ' || method || ', rows ' || rows FROM privacy.purge_log WHERE table_name = 'ret_b'::regclass ORDER BY id DESC LIMIT 1;
SQL
	q -c "DROP TABLE ret_a, ret_b"
done

# partitioned by day: drop vs delete
q <<SQL
DROP TABLE IF EXISTS ret_p, ret_p_copy;
CREATE TABLE ret_p (id bigint, created timestamptz NOT NULL, payload text) PARTITION BY RANGE (created);
SELECT format('CREATE TABLE ret_p_%s PARTITION OF ret_p FOR VALUES FROM (%L) TO (%L)', i + 1,
	date_trunc('day', now()) - (i + 1) * interval '1 day', date_trunc('day', now()) - i * interval '1 day')
FROM generate_series(-1, 100) i \gexec
INSERT INTO ret_p SELECT * FROM ret_src_ordered;
CREATE TABLE ret_p_copy (LIKE ret_p) PARTITION BY RANGE (created);
SELECT format('CREATE TABLE ret_pc_%s PARTITION OF ret_p_copy FOR VALUES FROM (%L) TO (%L)', i + 1,
	date_trunc('day', now()) - (i + 1) * interval '1 day', date_trunc('day', now()) - i * interval '1 day')
FROM generate_series(-1, 100) i \gexec
INSERT INTO ret_p_copy SELECT * FROM ret_src_ordered;
VACUUM ANALYZE ret_p;
VACUUM ANALYZE ret_p_copy;
SQL
read -r t_pdel _ < <(measure "DELETE FROM ret_p_copy WHERE created < date_trunc('day', now()) - interval '70 days';")
q -c "SELECT privacy.set_retention('ret_p', 'created', '70 days')" >/dev/null
read -r t_pdrop _ < <(measure "SELECT partitions_dropped || ' ' || rows_purged AS result FROM privacy.purge_now('ret_p') \gset")
q -c "SELECT 'partitioned: purge_now dropping partitions ' || $t_pdrop || ' s vs DELETE of their rows ' || $t_pdel ||
	' s (' || round($t_pdel / nullif($t_pdrop, 0), 1) || 'x faster, target >= 100x); ' || partitions_dropped ||
	' partitions dropped, ' || rows || ' rows deleted in the partly expired one'
	FROM privacy.purge_log WHERE table_name = 'ret_p'::regclass ORDER BY id DESC LIMIT 1"
q -c "DROP TABLE ret_p, ret_p_copy, ret_src_ordered, ret_src_scattered" \
	-c "ALTER SYSTEM RESET privacy.purge_naptime" -c "SELECT pg_reload_conf()" >/dev/null
