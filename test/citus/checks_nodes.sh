# checks_nodes.sh (sourced last by checks.sh): a worker that does not hold
# the coordinator's policy generation (it missed a push, never received one,
# or joined later) refuses the shards it serves until
# privacy.citus_sync_policies(); a worker down makes policy changes fail on
# the coordinator (fail closed) until it is back; classification-driven
# protection reaches the shards.

nodes_err='ERROR:  this Citus node does not hold the current pg_privacy policy state'
fresh_err='ERROR:  this Citus node has not received the pg_privacy policy state'

su "$C" citus_test "CREATE TABLE public.nodes_t (id int NOT NULL, email text)"
su "$C" citus_test "SELECT create_distributed_table('public.nodes_t', 'id', shard_count := 4)"
su "$C" citus_test "INSERT INTO public.nodes_t SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 40) g"
su "$C" citus_test "GRANT SELECT ON public.nodes_t TO ct_masked"
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.mask_column('public.nodes_t', 'email', 'privacy.mask_email(email)')"
check "positive control: every worker in sync, a masked read through the coordinator works" "40|0" \
	"$(q "$C" ct_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'user%') FROM public.nodes_t")"

# a worker that missed a push (its generation is older)
su "$W2" citus_test "UPDATE privacy._citus_sync_state SET generation = generation - 1"
check "a worker holding an older policy generation is reported out of sync" "f" \
	"$(q "$C" '' "SELECT in_sync FROM privacy.citus_policy_status() WHERE node = '$W2:$PGPORT'")"
check "a worker holding an older generation refuses the shard queries (fails closed, never stale)" "$nodes_err" \
	"$(q "$C" ct_masked "SELECT count(*) FROM public.nodes_t" | grep -o "^$nodes_err")"
check "the gated role is refused too, with a session purpose" "$nodes_err" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts" | grep -o "$nodes_err")"
check "positive control: the superuser still reads it (exempt, nothing carried)" "40" \
	"$(q "$C" '' "SELECT count(*) FROM public.nodes_t")"
su "$C" citus_test "SELECT privacy.citus_sync_policies()"
check "citus_sync_policies recovers it" "40|0|t" \
	"$(q "$C" ct_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'user%') FROM public.nodes_t")|$(q "$C" '' "SELECT bool_and(in_sync) FROM privacy.citus_policy_status()")"

# a prepared statement planned before a push is planned again after it
check "a prepared masked read keeps working across policy pushes (plans carry the new generation)" "40 40 40 40 40 40 40 40" \
	"$(sq "$C" ct_masked "PREPARE pe AS SELECT count(*) FROM public.nodes_t" "EXECUTE pe" "EXECUTE pe" "EXECUTE pe" "EXECUTE pe" "EXECUTE pe" "EXECUTE pe" "RESET ROLE" "DO \$\$BEGIN PERFORM privacy.citus_sync_policies(); END\$\$" "SET ROLE ct_masked" "EXECUTE pe" "EXECUTE pe")"
check "... also when a consent revocation is committed between two executions" "6 6 6 6 6 6 6 5" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "PREPARE pg AS SELECT count(*) FROM public.contacts" "EXECUTE pg" "EXECUTE pg" "EXECUTE pg" "EXECUTE pg" "EXECUTE pg" "EXECUTE pg" "EXECUTE pg" "RESET ROLE" "DO \$\$BEGIN PERFORM privacy.revoke_consent('5', 'marketing'); END\$\$" "SET ROLE ct_gated" "EXECUTE pg")"

# a worker down during a consent change: the change fails on the
# coordinator (no worker keeps letting rows through that it should hide)
w2dir=$(dirname "$W2")
as_server() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_server "$(dirname "$(command -v psql)")/pg_ctl" -D "$w2dir/data" -m fast -w stop >/dev/null 2>&1
down=$(q "$C" '' "SELECT privacy.revoke_consent('4', 'marketing')")
check "with a worker down, a consent revocation fails on the coordinator" "ERROR:  could not synchronize policies to worker" \
	"$(echo "$down" | head -1 | grep -o '^ERROR:  could not synchronize policies to worker')"
check "positive control: the consent still stands on the coordinator (nothing committed)" "1" \
	"$(q "$C" '' "SELECT count(*) FROM privacy._consent WHERE subject = '4' AND purpose = 'marketing' AND revoked_at IS NULL")"
as_server "$(dirname "$(command -v psql)")/pg_ctl" -D "$w2dir/data" -l "$w2dir/server.log" -w start >/dev/null 2>&1
check "the worker back, citus_policy_status shows every worker in sync (it missed nothing)" "t" \
	"$(q "$C" '' "SELECT bool_and(in_sync) FROM privacy.citus_policy_status()")"
check "the revocation retried reaches every worker" "0 0" \
	"$(q "$C" '' "SELECT privacy.revoke_consent('4', 'marketing')" >/dev/null; for h in "$W1" "$W2"; do q "$h" '' "SELECT count(*) FROM privacy._consent WHERE subject = '4' AND purpose = 'marketing' AND revoked_at IS NULL"; done | tr '\n' ' ' | sed 's/ $//')"

# a worker added later: it holds no policy state until synchronized
su "$C" citus_test "SELECT citus_add_node('$W3', $PGPORT)"
check "pg_privacy reaches the new worker with citus_add_node, its policy state does not" "1|0" \
	"$(q "$W3" '' "SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'pg_privacy') || '|' || (SELECT count(*) FROM privacy._citus_sync_state)")"
check "citus_policy_status reports the new worker out of sync" "f" \
	"$(q "$C" '' "SELECT in_sync FROM privacy.citus_policy_status() WHERE node = '$W3:$PGPORT'")"
moved=$(q "$C" '' "SELECT shardid FROM citus_shards WHERE table_name = 'public.nodes_t'::regclass AND nodename = '$W1' ORDER BY shardid LIMIT 1")
su "$C" citus_test "SELECT replicate_reference_tables('block_writes')"
su "$C" citus_test "SELECT citus_move_shard_placement($moved, '$W1', $PGPORT, '$W3', $PGPORT, shard_transfer_mode := 'block_writes')"
check "a shard moved to the new worker" "1" \
	"$(q "$C" '' "SELECT count(*) FROM citus_shards WHERE shardid = $moved AND nodename = '$W3'")"
check "queries reaching the new worker's shard are refused until it is synchronized" "$nodes_err" \
	"$(q "$C" ct_masked "SELECT count(*) FROM public.nodes_t" | grep -o "^$nodes_err")"
mshard=$(q "$W3" '' "SET citus.override_table_visibility = off; SELECT relname FROM pg_class WHERE relname = 'nodes_t_$moved'")
su "$W3" citus_test "GRANT SELECT ON public.$mshard TO ct_masked"
check "the shard queried by name on the new worker is refused too" "$fresh_err" \
	"$(q "$W3" ct_masked "SELECT count(*) FROM public.$mshard" | grep -o "^$fresh_err")"
check "positive control: the superuser reads that shard" "t" \
	"$(q "$W3" '' "SELECT count(*) > 0 FROM public.$mshard")"
su "$C" citus_test "SELECT privacy.citus_sync_policies()"
check "synchronized: masked reads through the coordinator, and on the shard by name" "40|0|0" \
	"$(q "$C" ct_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'user%') FROM public.nodes_t")|$(q "$W3" ct_masked "SELECT count(*) FILTER (WHERE email LIKE 'user%') FROM public.$mshard")"
check "every worker in sync" "3|true" \
	"$(q "$C" '' "SELECT count(*) || '|' || bool_and(in_sync) FROM privacy.citus_policy_status()")"

# classification-driven protection (issue 18) on a distributed table
su "$C" citus_test "CREATE TABLE public.people (id int NOT NULL, email text)"
su "$C" citus_test "SELECT create_distributed_table('public.people', 'id', shard_count := 4)"
su "$C" citus_test "INSERT INTO public.people SELECT g, 'person' || g || '@example.com' FROM generate_series(1, 8) g"
su "$C" citus_test "GRANT SELECT ON public.people TO ct_masked"
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.bind_category('email', 'privacy.mask_email(value)')"
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.classify('public.people', 'email', 'email')"
check "a classified column of a distributed table is masked through the coordinator" "8|0" \
	"$(q "$C" ct_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'person%') FROM public.people")"
check "... and directly on a worker" "8|0" \
	"$(q "$W2" ct_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'person%') FROM public.people")"
check "positive control: the superuser reads raw values" "8" \
	"$(q "$C" '' "SELECT count(*) FILTER (WHERE email LIKE 'person%') FROM public.people")"
check "the classification reached every worker at commit" "1 1 1" \
	"$(for h in "$W1" "$W2" "$W3"; do q "$h" '' "SELECT count(*) FROM privacy._classification WHERE relid = 'public.people'::regclass"; done | tr '\n' ' ' | sed 's/ $//')"

# consent changes are pushed incrementally: the rows the transaction wrote,
# not the registry (a row only a worker has shows that the registry was not
# replaced); a worker that does not hold the previous generation gets the
# whole state instead
su "$W1" citus_test "INSERT INTO privacy._consent (id, subject, purpose, granted_at, granted_by) VALUES (999999, 'only-on-w1', 'marketing', now(), current_user)"
su "$C" citus_test "SELECT privacy.grant_consent('18', 'marketing')"
check "an incremental consent push: the new consent on every worker, W1's own row left alone" "1|1 1|0 1|0" \
	"$(for h in "$W1" "$W2" "$W3"; do q "$h" '' "SELECT count(*) FILTER (WHERE subject = '18' AND revoked_at IS NULL) || '|' || count(*) FILTER (WHERE subject = 'only-on-w1') FROM privacy._consent"; done | tr '\n' ' ' | sed 's/ $//')"
su "$C" citus_test "SELECT privacy.revoke_consent('18', 'marketing')"
check "an incremental revocation reaches every worker" "0 0 0" \
	"$(for h in "$W1" "$W2" "$W3"; do q "$h" '' "SELECT count(*) FROM privacy._consent WHERE subject = '18' AND revoked_at IS NULL"; done | tr '\n' ' ' | sed 's/ $//')"
check "the gated role sees the revocation at once" "0" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts WHERE subject = 18")"
su "$W2" citus_test "UPDATE privacy._citus_sync_state SET generation = generation - 1"
su "$C" citus_test "SELECT privacy.grant_consent('19', 'marketing')"
check "a worker without the previous generation: the whole state goes to every worker (all in sync, W1's own row gone)" "t|0" \
	"$(q "$C" '' "SELECT bool_and(in_sync) FROM privacy.citus_policy_status()")|$(q "$W1" '' "SELECT count(*) FROM privacy._consent WHERE subject = 'only-on-w1'")"
check "the gated role reads the new consent through every worker" "1" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts WHERE subject = 19")"
