# checks_maintenance.sh (sourced after checks_nodes.sh): the maintenance
# worker on the coordinator (privacy.citus_maintenance_interval, off until
# here) moves the workers' detokenization records into the coordinator's log
# and gives a worker added later the policy state, without a manual call;
# it skips a worker that is down (logged once) and does nothing on workers.

# poll HOST ROLE SQL EXPECTED: the value of SQL once it equals EXPECTED, or
# the last one after 60 s
poll() {
	local v i
	for i in $(seq 300); do
		v=$(q "$1" "$2" "$3")
		[ "$v" = "$4" ] && break
		sleep 0.2
	done
	echo "$v"
}
# pollp HOST ROLE PURPOSE SQL EXPECTED: the same, in a transaction declaring
# PURPOSE (pq)
pollp() {
	local v i
	for i in $(seq 300); do
		v=$(pq "$1" "$2" "$3" "$4")
		[ "$v" = "$5" ] && break
		sleep 0.2
	done
	echo "$v"
}
coord_log=$(dirname "$C")/server.log

# ---- the workers' audit records reach the coordinator by themselves ----------
su "$C" citus_test "CREATE ROLE ct_maint_detok LOGIN"
su "$C" citus_test "GRANT SELECT ON public.cards TO ct_maint_detok"
su "$C" citus_test "SELECT privacy.grant_detokenize('ct_maint_detok', 'ssn')"
check "maintenance off: a detokenization directly on a worker" "987-65-0001" \
	"$(q "$W1" ct_maint_detok "SELECT privacy.detokenize(card, 'ssn') FROM public.cards WHERE subject = 101")"
check "maintenance off: its record stays on the worker that ran it (none on the coordinator)" "1|0" \
	"$(poll "$(holder cards 101)" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_maint_detok'" 1)|$(q "$C" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_maint_detok'")"
check "the maintenance does nothing on a worker node" "0" \
	"$(q "$W1" '' "SELECT count(*) FROM privacy._citus_maintain()")"
su "$C" postgres "ALTER SYSTEM SET privacy.citus_maintenance_interval = 1"
su "$C" postgres "ALTER SYSTEM SET log_min_messages = 'log'"
su "$C" postgres "SELECT pg_reload_conf()"
check "maintenance on: the record reaches the coordinator's log without a manual call, once, naming the node" \
	"1|citus node $(holder cards 101):$PGPORT|1" \
	"$(poll "$C" '' "SELECT count(*) || '|' || min(object) || '|' || min(value_count) FROM privacy.audit_log WHERE role_name = 'ct_maint_detok'" "1|citus node $(holder cards 101):$PGPORT|1")"
check "... and leaves the worker (moved, not copied)" "0" \
	"$(poll "$(holder cards 101)" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_maint_detok'" 0)"
check "a second detokenization on another worker, through the coordinator: both recorded exactly once" "2|2|0 0" \
	"$(q "$C" ct_maint_detok "SELECT privacy.detokenize(card, 'ssn') FROM public.cards WHERE subject = 102" >/dev/null
	   for h in "$W1" "$W2"; do poll "$h" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_maint_detok'" 0 >/dev/null; done
	   poll "$C" '' "SELECT count(*) || '|' || sum(value_count) FROM privacy.audit_log WHERE role_name = 'ct_maint_detok'" "2|2")|$(for h in "$W1" "$W2"; do q "$h" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_maint_detok'"; done | tr '\n' ' ' | sed 's/ $//')"

# ---- a worker added later gets the policy state by itself ----------------------
su "$C" citus_test "CREATE TABLE public.maint_t (subject int NOT NULL, email text)"
su "$C" citus_test "SELECT create_distributed_table('public.maint_t', 'subject', shard_count := 4)"
su "$C" citus_test "INSERT INTO public.maint_t SELECT g, 'm' || g || '@example.com' FROM generate_series(101, 140) g"
su "$C" citus_test "GRANT SELECT ON public.maint_t TO ct_gated"
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.mask_column('public.maint_t', 'email', 'privacy.mask_email(email)')"
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.require_consent('public.maint_t', 'subject', 'marketing')"
su "$C" citus_test "SELECT privacy.grant_consent(ARRAY(SELECT g::text FROM generate_series(101, 110) g), 'marketing')"
check "positive control: the gated role reads the consenting rows, masked" "10|0" \
	"$(pq "$C" ct_gated marketing "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'm1%') FROM public.maint_t")"
su "$C" citus_test "SELECT citus_add_node('$W4', $PGPORT)"
su "$C" citus_test "SELECT replicate_reference_tables('block_writes')"
moved4=$(q "$C" '' "SELECT get_shard_id_for_distribution_column('public.maint_t', 101)")
from4=$(q "$C" '' "SELECT nodename FROM citus_shards WHERE shardid = $moved4")
su "$C" citus_test "SELECT citus_move_shard_placement($moved4, '$from4', $PGPORT, '$W4', $PGPORT, shard_transfer_mode := 'block_writes')"
check "a shard of the masked, consent-gated table moved to the new worker" "1" \
	"$(q "$C" '' "SELECT count(*) FROM citus_shards WHERE shardid = $moved4 AND nodename = '$W4'")"
check "the new worker holds the coordinator's policy generation without a manual sync" \
	"$(q "$C" '' "SELECT generation FROM privacy._citus_sync_state")" \
	"$(poll "$W4" '' "SELECT generation FROM privacy._citus_sync_state" "$(q "$C" '' "SELECT generation FROM privacy._citus_sync_state")")"
check "through the coordinator, the gated role reads exactly the consenting rows, masked" "10|0" \
	"$(pollp "$C" ct_gated marketing "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'm1%') FROM public.maint_t" "10|0")"
check "... directly on the new worker too" "10|0" \
	"$(pollp "$W4" ct_gated marketing "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'm1%') FROM public.maint_t" "10|0")"
mshard4=$(q "$W4" '' "SET citus.override_table_visibility = off; SELECT relname FROM pg_class WHERE relname = 'maint_t_$moved4'")
su "$W4" citus_test "GRANT SELECT ON public.$mshard4 TO ct_gated"
ncons=$(q "$C" '' "SELECT min(g) FROM generate_series(111, 140) g WHERE get_shard_id_for_distribution_column('public.maint_t', g) = $moved4")
inshard=$(q "$C" '' "SELECT count(*) FROM generate_series(101, 110) g WHERE get_shard_id_for_distribution_column('public.maint_t', g) = $moved4")
check "the new worker's shard by name: the consenting rows only, masked" "$inshard|0" \
	"$(pq "$W4" ct_gated marketing "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'm1%') FROM public.$mshard4")"
check "a router lookup of a non-consenting subject on the new worker: nothing; of a consenting one: the row, masked" "0|1|0" \
	"$(pq "$W4" ct_gated marketing "SELECT count(*) FROM public.maint_t WHERE subject = $ncons")|$(pq "$W4" ct_gated marketing "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'm1%') FROM public.maint_t WHERE subject = 101")"
check "positive control: the superuser reads that shard's raw values on the new worker" "t" \
	"$(q "$W4" '' "SELECT count(*) FILTER (WHERE email LIKE 'm1%') > 0 FROM public.$mshard4")"
check "every worker in sync" "4|true" \
	"$(q "$C" '' "SELECT count(*) || '|' || bool_and(in_sync) FROM privacy.citus_policy_status()")"
check "the copy is logged by name and generation, no policy value" "1|0" \
	"$(grep -c "pg_privacy citus maintenance copied the policy state (generation [0-9]*) to Citus node $W4:$PGPORT" "$coord_log" | sed 's/^\([1-9]\).*/1/')|$(grep -c 'm10[0-9]@example\|123-45-\|987-65-' "$coord_log")"

# ---- a worker down is skipped (logged once), the others are served -----------
w2dir_m=$(dirname "$W2")
as_server "$(dirname "$(command -v psql)")/pg_ctl" -D "$w2dir_m/data" -m fast -w stop >/dev/null 2>&1
check "a worker down: the coordinator logs that it skips it" "1" \
	"$(for i in $(seq 300); do n=$(grep -c "skips Citus node $W2:$PGPORT" "$coord_log"); [ "$n" -ge 1 ] && break; sleep 0.2; done; echo "$n")"
check "... while a detokenization on another worker still reaches the coordinator's log" "1|0" \
	"$(tok=$(q "$C" '' "SELECT privacy.tokenize('123-45-0077', 'ssn')")
	   q "$W4" ct_maint_detok "SELECT privacy.detokenize('$tok', 'ssn')" >/dev/null
	   poll "$W4" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_maint_detok'" 0 >/dev/null
	   q "$C" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_maint_detok' AND object = 'citus node $W4:$PGPORT'")|$(q "$W4" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_maint_detok'")"
check "... and the worker down is logged once, not at every interval" "1" \
	"$(grep -c "skips Citus node $W2:$PGPORT" "$coord_log")"
as_server "$(dirname "$(command -v psql)")/pg_ctl" -D "$w2dir_m/data" -l "$w2dir_m/server.log" -w start >/dev/null 2>&1
check "the worker back: the coordinator logs it once" "1" \
	"$(for i in $(seq 300); do n=$(grep -c "reaches Citus node $W2:$PGPORT again" "$coord_log"); [ "$n" -ge 1 ] && break; sleep 0.2; done; echo "$n")"
check "a worker that missed a generation while down is synchronized by the maintenance" "t" \
	"$(su "$W2" citus_test "UPDATE privacy._citus_sync_state SET generation = generation - 1"
	   poll "$C" '' "SELECT bool_and(in_sync) FROM privacy.citus_policy_status()" t)"
# the maintenance applies a state only over the generation it read on the
# worker: a push that reached the worker since is never overwritten
g1=$(q "$W1" '' "SELECT generation FROM privacy._citus_sync_state")
check "an apply naming a generation the worker no longer holds is refused and changes nothing" "ERROR:  the policy generation of this node changed since the maintenance read it|$g1" \
	"$(q "$W1" '' "SELECT privacy._citus_apply_policies(jsonb_set(privacy._citus_payload(), '{generation}', '999999') || jsonb_build_object('expect', $g1 - 1))" | head -1)|$(q "$W1" '' "SELECT generation FROM privacy._citus_sync_state")"
check "positive control: naming the generation it holds, the apply goes through" "t|$g1" \
	"$(q "$W1" '' "SELECT privacy._citus_apply_policies(privacy._citus_payload() || jsonb_build_object('expect', $g1)) >= 0")|$(q "$W1" '' "SELECT generation FROM privacy._citus_sync_state")"
su "$C" postgres "ALTER SYSTEM RESET privacy.citus_maintenance_interval"
su "$C" postgres "ALTER SYSTEM RESET log_min_messages"
su "$C" postgres "SELECT pg_reload_conf()"
