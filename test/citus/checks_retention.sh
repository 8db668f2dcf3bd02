# checks_retention.sh (sourced by checks.sh): retention on a distributed
# table, purged from the coordinator by time slices.
su "$C" citus_test "SELECT privacy.set_retention('public.events', 'created_at', '20 days')"
check "the purge method of a distributed table is time_slice" "time_slice" \
	"$(q "$C" '' "SELECT privacy._choose_method('public.events', now() - interval '20 days')")"

# a row lock held on a shard: the purge waits privacy.purge_lock_wait on the
# workers (SET LOCAL propagated), then fails with 55P03 instead of hanging
# (a shard of the worker, by name, with an expired row)
lshard=$(q "$W1" '' "SET citus.override_table_visibility = off; SELECT c.relname FROM pg_class c WHERE c.relname LIKE 'events\_%' AND c.relkind = 'r' ORDER BY 1 LIMIT 1")
psql -X -q -h "$W1" -d citus_test -c "SELECT 1 FROM public.$lshard WHERE created_at < now() - interval '20 days' FOR UPDATE" \
	-c "SELECT pg_sleep(60)" --single-transaction >/dev/null 2>&1 &
locker=$!
for _ in $(seq 1 100); do
	[ "$(q "$W1" '' "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'")" = 1 ] && break
	sleep 0.1
done
start=$(date +%s)
out_lock=$(q "$C" '' "SET privacy.purge_lock_wait = 200; SET statement_timeout = '20s'; SELECT status FROM privacy.purge_now('public.events')" | grep -oE 'ERROR: +[^"]*' | head -1)
took=$(($(date +%s) - start))
check "a locked shard row: purge_now fails with the lock timeout, not the statement timeout" \
	"ERROR:  rows of Citus table public.events stayed locked longer than privacy.purge_lock_wait" "$out_lock"
check "the lock timeout reached the worker (no wait for the lock holder)" "yes" "$([ "$took" -lt 15 ] && echo yes || echo "no: ${took}s")"
kill "$locker" 2>/dev/null
q "$W1" '' "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'" >/dev/null
wait "$locker" 2>/dev/null

expired=$(q "$C" '' "SELECT count(*) FROM public.events WHERE created_at < now() - interval '20 days'")
check "the lock held, nothing was purged" "40" "$(q "$C" '' "SELECT count(*) FROM public.events")"
check "purge_now on the distributed table: done by time slices" "time_slice|done|true" \
	"$(q "$C" '' "SELECT method || '|' || status || '|' || (rows_purged >= $expired) FROM privacy.purge_now('public.events')")"
check "no expired row is left on any shard, no other row purged" "0|true" \
	"$(q "$C" '' "SELECT count(*) FILTER (WHERE created_at < now() - interval '20 days') || '|' || (count(*) >= 40 - $expired) FROM public.events")"
