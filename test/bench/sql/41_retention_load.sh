#!/usr/bin/env bash
# 41_retention_load.sh: a live pgbench workload while the purge worker runs,
# on a cluster with fsync = on (the throwaway clusters run with fsync off,
# which flatters the idle baseline: this script turns fsync, full_page_writes
# and synchronous_commit on for its run and restores them at the end).
#
# BENCH_LOAD_ROUNDS rounds (default 5), each of four phases of BENCH_SECONDS
# (default 10) seconds of pgbench (BENCH_LOAD_CLIENTS, default 2 clients):
#   idle-w   point reads, updates and inserts on ret_w (BENCH_LOAD_TABLE_ROWS,
#            default 2,000,000 rows), no purge;
#   purge-w  the same while the background worker purges ret_w (30% of it
#            expired, timestamps scattered: ctid_sweep) at the default
#            pacing; only the transactions that ended while the worker's run
#            was purging count (its purge log start and end);
#   idle-p   reads, updates and inserts on ret_pl (partitioned by day, 12
#            live partitions, 200,000 rows);
#   drop-p   the same while the worker detaches and drops BENCH_LOAD_PARTS
#            (default 30) expired partitions of BENCH_LOAD_PART_ROWS (10,000)
#            rows; only the transactions of the dropping run count.
# Phases are interleaved (even rounds run each pair in the reverse order)
# so that the machine's load drifts into both sides alike; each ratio is
# computed per round (purge phase / the idle phase of the same round) and
# printed as the median with the lowest and highest round.
# Between phases (not measured): the worker is stopped, the rows it purged
# and the partitions it dropped are put back, and the tables are vacuumed
# and checkpointed, so every phase starts from the same state (autovacuum is
# off on the two tables: the vacuum of purged rows is not in the figures;
# the checkpoint makes every first change of a page write a full-page
# image, the purge's worst case).
# BENCH_LOAD_SETTINGS="privacy.purge_max_busy=25 ..." tries other settings;
# BENCH_LOAD_DETAIL=1 prints every phase.
# Targets (issue 15): TPS during purge >= 0.85 of idle, p99 <= 1.5x idle;
# while dropping partitions p99 <= 1.2x. Nothing here fails on timing.
#
# Alone, on a preloaded cluster with the extension (superuser postgres):
#   PGHOST=... PGPORT=... PGDATABASE=... bash test/bench/sql/41_retention_load.sh
set -euo pipefail
rows=${BENCH_LOAD_TABLE_ROWS:-2000000}
rounds=${BENCH_LOAD_ROUNDS:-5}
duration=${BENCH_SECONDS:-10}
parts=${BENCH_LOAD_PARTS:-30}
part_rows=${BENCH_LOAD_PART_ROWS:-10000}
clients=${BENCH_LOAD_CLIENTS:-2}
q() { psql -X -q -U postgres -v ON_ERROR_STOP=1 -At "$@"; }
work=$(mktemp -d)
restore() {
	q -c "ALTER SYSTEM RESET fsync" -c "ALTER SYSTEM RESET full_page_writes" -c "ALTER SYSTEM RESET synchronous_commit" \
		-c "ALTER SYSTEM RESET privacy.purge_naptime" >/dev/null 2>&1 || true
	for kv in ${BENCH_LOAD_SETTINGS:-}; do
		q -c "ALTER SYSTEM RESET ${kv%%=*}" >/dev/null 2>&1 || true
	done
	q -c "SELECT pg_reload_conf()" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap restore EXIT

# the machine's load (other work shares it): printed at the start and the end
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
q -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET full_page_writes = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
	-c "ALTER SYSTEM SET privacy.purge_naptime = 3600" -c "SELECT pg_reload_conf()" >/dev/null
# BENCH_LOAD_SETTINGS="name=value ...": purge settings to try (ALTER SYSTEM)
for kv in ${BENCH_LOAD_SETTINGS:-}; do
	q -c "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'" >/dev/null
done
q -c "SELECT pg_reload_conf()" >/dev/null
# the reload is asynchronous: wait (bounded) until a new session sees it
for _ in $(seq 1 50); do
	[ "$(q -c "SHOW fsync")" = on ] && break
	sleep 0.1
done

# stop_worker [gentle]: terminates the purge worker (its batch in flight
# rolls back) and waits (bounded) until none runs; gentle first lets its run
# end (up to 30 s), so that no partition is left half detached
stop_worker() {
	q -c "ALTER SYSTEM SET privacy.purge_naptime = 3600" -c "SELECT pg_reload_conf()" >/dev/null
	if [ -n "${1:-}" ]; then
		for _ in $(seq 1 300); do
			[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_privacy purge worker'")" = 0 ] && return
			sleep 0.1
		done
	fi
	for _ in $(seq 1 100); do
		n=$(q -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE backend_type = 'pg_privacy purge worker'")
		[ "$n" = 0 ] && return
		sleep 0.1
	done
}
start_worker() {
	q -c "ALTER SYSTEM SET privacy.purge_naptime = 1" -c "SELECT pg_reload_conf()" >/dev/null
}

q <<SQL
DROP TABLE IF EXISTS ret_w, ret_pl;
DROP SEQUENCE IF EXISTS ret_w_seq, ret_pl_seq;
CREATE TABLE ret_w (id bigint PRIMARY KEY, created timestamptz NOT NULL, payload text)
	WITH (autovacuum_enabled = false);
-- 30% expired (older than 70 days), in scattered order
INSERT INTO ret_w SELECT g, now() - interval '100 days' + ((g::bigint * 7919) % $rows)::float8 / $rows * interval '100 days', md5(g::text)
	FROM generate_series(1, $rows) g ORDER BY md5(g::text);
CREATE SEQUENCE ret_w_seq START $((rows + 1));
CREATE TABLE ret_pl (id bigint NOT NULL, created timestamptz NOT NULL, payload text) PARTITION BY RANGE (created);
SELECT format('CREATE TABLE ret_pl_%s PARTITION OF ret_pl FOR VALUES FROM (%L) TO (%L) WITH (autovacuum_enabled = false)',
	i + 3, date_trunc('day', now()) - (i + 1) * interval '1 day', date_trunc('day', now()) - i * interval '1 day')
FROM generate_series(-2, 9) i \gexec
CREATE INDEX ON ret_pl (id);
INSERT INTO ret_pl SELECT g, now() - (g % 10) * interval '1 day' - interval '1 hour', md5(g::text) FROM generate_series(1, 200000) g;
CREATE SEQUENCE ret_pl_seq START 200001;
VACUUM ANALYZE ret_w;
VACUUM ANALYZE ret_pl;
SQL

cat >"$work/w.sql" <<SQL
\set id random(1, $rows)
SELECT payload FROM ret_w WHERE id = :id;
UPDATE ret_w SET payload = md5(payload) WHERE id = :id;
INSERT INTO ret_w VALUES (nextval('ret_w_seq'), now(), 'new');
SQL
cat >"$work/p.sql" <<SQL
\set id random(1, 200000)
SELECT payload FROM ret_pl WHERE id = :id;
UPDATE ret_pl SET payload = md5(payload) WHERE id = :id;
INSERT INTO ret_pl VALUES (nextval('ret_pl_seq'), now(), 'new');
SQL

# run_pgbench SCRIPT PREFIX: runs pgbench (per-transaction log kept)
run_pgbench() {
	(cd "$work" && rm -f "$2".* && pgbench -n -U postgres -f "$1" -c "$clients" -j "$clients" -T "$duration" -l \
		--log-prefix="$2" >"$2.out" 2>&1)
}
# stats PREFIX [FROM TO]: prints "tps p99_ms seconds" of the transactions
# that ended in [FROM, TO] (epoch seconds; default: the whole phase)
stats() {
	cat "$work/$1".[0-9]* 2>/dev/null | awk -v from="${2:-0}" -v to="${3:-1e12}" '
		{ t = $5 + $6 / 1e6; if (t >= from && t <= to) { n++; print $3 > "/dev/stderr"; if (!lo || t < lo) lo = t; if (t > hi) hi = t } }
		END { printf "%d %.3f\n", n, hi - lo }' 2>"$work/lat" >"$work/count"
	local n secs p99
	read -r n secs <"$work/count"
	p99=$(sort -n "$work/lat" | awk '{a[NR]=$1} END {if (NR) print a[int(NR*0.99)]/1000; else print 0}')
	awk -v n="$n" -v s="$secs" -v p="$p99" 'BEGIN {printf "%.1f %s %.1f\n", (s > 0 ? n / s : 0), p, s}'
}
# window FROM_ID TABLE COLUMN: epoch start and end of the run after purge
# log id FROM_ID on TABLE that did the most (COLUMN: rows or partitions)
window() {
	q -c "SELECT extract(epoch FROM started) || ' ' || extract(epoch FROM coalesce(finished, clock_timestamp()))
		FROM privacy._purge_log WHERE id > $1 AND relid = '$2'::regclass AND $3 > 0 ORDER BY $3 DESC LIMIT 1"
}

# reset_state: every phase starts vacuumed and checkpointed
reset_state() {
	q -c "VACUUM ret_w" -c "VACUUM ret_pl" -c "CHECKPOINT" >/dev/null
}

# refill_w: puts back as many expired rows as the last purge phase removed
refill_w() {
	local n=$1
	[ "$n" -gt 0 ] || return 0
	q -c "INSERT INTO ret_w SELECT nextval('ret_w_seq'), now() - interval '100 days' + random() * interval '30 days', md5(g::text)
		FROM generate_series(1, $n) g" >/dev/null
}

# add_expired_parts: attaches $parts expired partitions (100+ days old)
add_expired_parts() {
	q <<SQL >/dev/null
SELECT format('CREATE TABLE IF NOT EXISTS ret_pl_old_%s PARTITION OF ret_pl FOR VALUES FROM (%L) TO (%L) WITH (autovacuum_enabled = false)',
	i, date_trunc('day', now()) - (i + 1) * interval '1 day', date_trunc('day', now()) - i * interval '1 day')
FROM generate_series(100, 100 + $parts - 1) i \gexec
INSERT INTO ret_pl SELECT nextval('ret_pl_seq'), date_trunc('day', now()) - (100 + g % $parts) * interval '1 day' - interval '1 hour',
	md5(g::text) FROM generate_series(1, $parts * $part_rows) g;
SQL
}

q -c "SELECT privacy.set_retention('ret_w', 'created', '70 days')" \
	-c "SELECT privacy.set_retention('ret_pl', 'created', '50 days')" >/dev/null
add_expired_parts

: >"$work/results"
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then order="idle-w purge-w idle-p drop-p"; else order="purge-w idle-w drop-p idle-p"; fi
	for phase in $order; do
		case $phase in
		idle-w | idle-p)
			reset_state
			run_pgbench "${phase#idle-}.sql" "$phase-$r"
			read -r tps p99 secs < <(stats "$phase-$r")
			echo "$r $phase $tps $p99 0 $secs" >>"$work/results"
			;;
		purge-w)
			q -c "SELECT privacy.drop_retention('ret_pl')" >/dev/null
			reset_state
			last=$(q -c "SELECT coalesce(max(id), 0) FROM privacy._purge_log")
			start_worker
			run_pgbench w.sql "$phase-$r"
			stop_worker
			purged=$(q -c "SELECT coalesce(sum(rows), 0) FROM privacy._purge_log WHERE id > $last AND relid = 'ret_w'::regclass")
			read -r from to < <(window "$last" ret_w rows) || true
			# only the transactions that ended while the worker purged
			read -r tps p99 secs < <(stats "$phase-$r" "${from:-0}" "${to:-0}")
			echo "$r $phase $tps $p99 $purged $secs" >>"$work/results"
			refill_w "$purged"
			q -c "SELECT privacy.set_retention('ret_pl', 'created', '50 days')" >/dev/null
			;;
		drop-p)
			q -c "SELECT privacy.drop_retention('ret_w')" >/dev/null
			reset_state
			last=$(q -c "SELECT coalesce(max(id), 0) FROM privacy._purge_log")
			start_worker
			run_pgbench p.sql "$phase-$r"
			stop_worker gentle
			dropped=$(q -c "SELECT coalesce(sum(partitions_dropped), 0) FROM privacy._purge_log WHERE id > $last AND relid = 'ret_pl'::regclass")
			read -r from to < <(window "$last" ret_pl partitions_dropped) || true
			read -r tps p99 secs < <(stats "$phase-$r" "${from:-0}" "${to:-0}")
			echo "$r $phase $tps $p99 $dropped $secs" >>"$work/results"
			add_expired_parts
			q -c "SELECT privacy.set_retention('ret_w', 'created', '70 days')" >/dev/null
			;;
		esac
	done
done

# per-round ratios, then median [min-max] over the rounds
q <<SQL
CREATE TEMP TABLE res (round int, phase text, tps float8, p99 float8, work bigint, secs float8);
\copy res FROM '$work/results' WITH (DELIMITER ' ')
CREATE TEMP VIEW pairs AS
SELECT a.round, b.tps / nullif(a.tps, 0) AS tps_ratio, b.p99 / nullif(a.p99, 0) AS p99_ratio, a.tps AS idle_tps, b.tps AS load_tps,
	a.p99 AS idle_p99, b.p99 AS load_p99, b.work, b.secs, 'w' AS kind
FROM res a JOIN res b ON a.round = b.round AND a.phase = 'idle-w' AND b.phase = 'purge-w' AND b.work > 0
UNION ALL
SELECT a.round, b.tps / nullif(a.tps, 0), b.p99 / nullif(a.p99, 0), a.tps, b.tps, a.p99, b.p99, b.work, b.secs, 'p'
FROM res a JOIN res b ON a.round = b.round AND a.phase = 'idle-p' AND b.phase = 'drop-p' AND b.work > 0;
SELECT 'retention under load (fsync ' || current_setting('fsync') || ', synchronous_commit ' || current_setting('synchronous_commit') ||
	', $clients clients, $rounds rounds of ${duration} s per phase, median [min-max] of the per-round ratios)';
SELECT format('pgbench during a throttled worker purge (purge_max_wal_rate %s, batch %s, purge_batch_time %s, purge_nice %s, %s of $rounds rounds with a purge): TPS %s vs %s idle (ratio %s [%s-%s], target >= 0.85); p99 %s vs %s ms (ratio %s [%s-%s], target <= 1.5); %s rows purged per phase in %s s (%s rows/s)',
	current_setting('privacy.purge_max_wal_rate'), current_setting('privacy.purge_batch_size'),
	current_setting('privacy.purge_batch_time'), current_setting('privacy.purge_nice'), count(*),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY load_tps)::numeric), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY idle_tps)::numeric),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY tps_ratio)::numeric, 2), round(min(tps_ratio)::numeric, 2), round(max(tps_ratio)::numeric, 2),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY load_p99)::numeric, 2), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY idle_p99)::numeric, 2),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY p99_ratio)::numeric, 2), round(min(p99_ratio)::numeric, 2), round(max(p99_ratio)::numeric, 2),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY work)::numeric),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs)::numeric, 1),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY work / nullif(secs, 0))::numeric))
FROM pairs WHERE kind = 'w';
SELECT format('pgbench while the worker drops partitions (%s of $rounds rounds with a drop): TPS ratio %s [%s-%s]; p99 %s vs %s ms (ratio %s [%s-%s], target <= 1.2); %s of $parts partitions dropped per phase in %s s',
	count(*),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY tps_ratio)::numeric, 2), round(min(tps_ratio)::numeric, 2), round(max(tps_ratio)::numeric, 2),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY load_p99)::numeric, 2), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY idle_p99)::numeric, 2),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY p99_ratio)::numeric, 2), round(min(p99_ratio)::numeric, 2), round(max(p99_ratio)::numeric, 2),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY work)::numeric),
	round(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs)::numeric, 1))
FROM pairs WHERE kind = 'p';
SQL
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${BENCH_LOAD_DETAIL:-}" ]; then
	echo "round phase tps p99_ms rows_or_partitions seconds_measured"
	cat "$work/results"
fi
q -c "SELECT privacy.drop_retention(relid) FROM privacy._retention_policy WHERE relid IN ('ret_w'::regclass, 'ret_pl'::regclass)" \
	-c "DROP TABLE ret_w, ret_pl" -c "DROP SEQUENCE ret_w_seq, ret_pl_seq" >/dev/null
