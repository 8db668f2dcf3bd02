# checks_masking.sh (sourced by checks.sh): masking on a distributed table.
# The policy is declared on the coordinator and copied to the workers by
# privacy.citus_sync_policies(); it is enforced on the shards.

# mask_column creates the write-back guard trigger: Citus needs
# citus.enable_unsafe_triggers for triggers on distributed tables
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.mask_column('public.events', 'email', 'privacy.mask_email(email)')"
su "$C" citus_test "SELECT privacy.grant_unmasked('ct_exempt', 'public.events')"
check "citus_sync_policies reaches both workers" "2" "$(q "$C" '' "SELECT privacy.citus_sync_policies()")"
check "worker holds the policy by name" "events email events email" \
	"$(q "$W1" '' "SELECT relid::text || ' ' || column_name FROM privacy._column_policy") $(q "$W2" '' "SELECT relid::text || ' ' || column_name FROM privacy._column_policy")"

raw_like="email LIKE 'user%@example.com'"
# through the coordinator: multi-shard and router
check "masked role, coordinator, multi-shard: every row, every one masked" "40|0" \
	"$(q "$C" ct_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE $raw_like) FROM public.events")"
check "masked role, coordinator, router lookup masked" "3|u*****@example.com" \
	"$(q "$C" ct_masked "SELECT subject || '|' || email FROM public.events WHERE subject = 3")"
check "masked role, WHERE on the masked column sees only the mask" "0" \
	"$(q "$C" ct_masked "SELECT count(*) FROM public.events WHERE email = 'user3@example.com'")"
check "masked role, GROUP BY on the masked column" "1" \
	"$(q "$C" ct_masked "SELECT count(DISTINCT email) FROM public.events WHERE subject < 10")"
# whole-row references keep the row type
check "whole-row reference (row::text) works and is masked" "(3,3,u*****@example.com)" \
	"$(q "$C" ct_masked "SELECT (e.id, e.subject, e.email)::text FROM public.events e WHERE subject = 3")"
check "whole-row reference row_to_json(e) works and is masked" "u*****@example.com" \
	"$(q "$C" ct_masked "SELECT row_to_json(e) ->> 'email' FROM public.events e WHERE subject = 3")"
check "whole-row reference e::text, multi-shard" "40|0" \
	"$(q "$C" ct_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE e::text LIKE '%user%') FROM public.events e")"
# COPY out of a distributed table runs as shard queries: masked
check "masked role, COPY (SELECT ...) TO STDOUT: masked" "0" \
	"$(psql -X -q -At -h "$C" -d citus_test -c "SET ROLE ct_masked" -c "COPY (SELECT email FROM public.events) TO STDOUT" 2>&1 | grep -c '^user')"
check "masked role, COPY table TO STDOUT: every row, masked" "40|0" \
	"$(psql -X -q -At -h "$C" -d citus_test -c "SET ROLE ct_masked" -c "COPY public.events TO STDOUT" 2>&1 | awk '{n++} /user[0-9]+@/ {r++} END {print n "|" r+0}')"
# directly on a worker: the distributed table and a shard by name
check "masked role, directly on a worker: every row masked" "40|0" \
	"$(q "$W1" ct_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE $raw_like) FROM public.events")"
# a router lookup on the worker that holds the shard (local execution)
mholder=$(q "$C" '' "SELECT nodename FROM citus_shards WHERE shardid = get_shard_id_for_distribution_column('public.events', 3)")
check "masked role, router lookup on the worker holding the shard: masked" "3|u*****@example.com" \
	"$(q "$mholder" ct_masked "SELECT subject || '|' || email FROM public.events WHERE subject = 3")"
check "masked role, prepared router lookup executed 8 times on the worker holding the shard: always masked" "8|0" \
	"$(prepared "$mholder" "SET ROLE ct_masked" "PREPARE ml(int) AS SELECT email FROM public.events WHERE subject = \$1" "EXECUTE ml(3)" 8 | awk '{n++} /user3@/ {r++} END {print n "|" r+0}')"
shard=$(q "$W1" '' "SET citus.override_table_visibility = off; SELECT c.relname FROM pg_class c WHERE c.relname LIKE 'events\_%' AND c.relkind = 'r' ORDER BY 1 LIMIT 1")
su "$W1" citus_test "GRANT SELECT ON public.$shard TO ct_masked"
check "masked role, a shard queried by name on its worker: masked" "0" \
	"$(q "$W1" ct_masked "SELECT count(*) FILTER (WHERE $raw_like) FROM public.$shard")"
check "positive control: the shard holds raw rows for the superuser" "t" \
	"$(q "$W1" '' "SELECT count(*) > 0 AND count(*) = count(*) FILTER (WHERE $raw_like) FROM public.$shard")"
# exemption and superuser see raw values everywhere
check "exempt role, coordinator: raw values" "40" \
	"$(q "$C" ct_exempt "SELECT count(*) FILTER (WHERE $raw_like) FROM public.events")"
check "exempt role, directly on a worker: raw values" "40" \
	"$(q "$W2" ct_exempt "SELECT count(*) FILTER (WHERE $raw_like) FROM public.events")"
# a masked role may not write what it sees back
check "masked role cannot copy masked values into the table" "ERROR:  cannot write a value derived from a masked column" \
	"$(q "$C" ct_masked "INSERT INTO public.events (id, subject, email) SELECT 99, 99, email FROM public.events WHERE subject = 1" | head -1)"
# Citus 13.2.2 crashes planning a join of a local table under row security
# with a distributed table for a role subject to it: refused before Citus
# plans it
su "$C" citus_test "CREATE TABLE public.local_notes (subject int, note text); INSERT INTO public.local_notes VALUES (3, 'n3'); ALTER TABLE public.local_notes ENABLE ROW LEVEL SECURITY; CREATE POLICY all_rows ON public.local_notes USING (true); GRANT SELECT ON public.local_notes TO ct_masked"
check "a local RLS table joined with a distributed table: clear error, no crash" \
	"ERROR:  cannot join a table under row security with a distributed table" \
	"$(q "$C" ct_masked "SELECT count(*) FROM public.local_notes n JOIN public.events e ON e.subject = n.subject" | head -1)"
check "positive control: the same join for a role not under row security" "1" \
	"$(q "$C" '' "SELECT count(*) FROM public.local_notes n JOIN public.events e ON e.subject = n.subject")"
check "the local RLS table alone still works for the role" "1" \
	"$(q "$C" ct_masked "SELECT count(*) FROM public.local_notes")"
