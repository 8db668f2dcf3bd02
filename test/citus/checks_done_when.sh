# checks_done_when.sh (sourced by checks.sh after checks_sync.sh, on the
# coordinator and two workers): the "Done when" list of issue 16, end to
# end, as a masked role, a gated role (its purpose declared with a plain
# session SET) and a detokenizing role. run.sh adds the last item (no node
# logs a crash).

su "$C" citus_test "CREATE ROLE dw_masked LOGIN"
su "$C" citus_test "CREATE ROLE dw_gated LOGIN"
su "$C" citus_test "CREATE ROLE dw_detok LOGIN"
su "$C" citus_test "CREATE TABLE public.dw (subject int NOT NULL, email text, card text, created_at timestamptz NOT NULL)"
su "$C" citus_test "SELECT create_distributed_table('public.dw', 'subject', shard_count := 4)"
su "$C" citus_test "INSERT INTO public.dw SELECT g, 'dw' || g || '@example.com', privacy.tokenize('123-45-' || lpad(g::text, 4, '0'), 'ssn'), now() - (g * 3 || ' days')::interval FROM generate_series(1, 20) g"
su "$C" citus_test "GRANT SELECT ON public.dw TO dw_masked, dw_detok"
su "$C" citus_test "GRANT SELECT ON public.contacts TO dw_gated"
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.mask_column('public.dw', 'email', 'privacy.pseudonym(email)')"
su "$C" citus_test "SELECT privacy.allow_purpose('dw_gated', 'marketing')"
su "$C" citus_test "SELECT privacy.grant_detokenize('dw_detok', 'ssn')"
su "$C" citus_test "SELECT privacy.grant_unmasked('dw_detok', 'public.dw')"

# masked role
check "done-when (masked role): every row masked through the coordinator" "20|0" \
	"$(q "$C" dw_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'dw%') FROM public.dw")"
check "done-when (masked role): every row masked directly on each worker" "20|0 20|0" \
	"$(q "$W1" dw_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'dw%') FROM public.dw") $(q "$W2" dw_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'dw%') FROM public.dw")"
check "done-when (masked role): whole-row reads work, masked" "20|0" \
	"$(q "$C" dw_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE row_to_json(d)::text LIKE '%dw%@example.com%' OR d::text LIKE '%@example.com%') FROM public.dw d")"
check "done-when (masked role): the pseudonyms are the same read through the coordinator and on each worker" "t" \
	"$(a=$(q "$C" dw_masked "SELECT md5(string_agg(email, ',' ORDER BY subject)) FROM public.dw"); b=$(q "$W1" dw_masked "SELECT md5(string_agg(email, ',' ORDER BY subject)) FROM public.dw"); c=$(q "$W2" dw_masked "SELECT md5(string_agg(email, ',' ORDER BY subject)) FROM public.dw"); [ -n "$a" ] && [ "$a" = "$b" ] && [ "$b" = "$c" ] && echo t)"
check "done-when: pseudonym() is equal on every node" "t" \
	"$(a=$(q "$C" '' "SELECT privacy.pseudonym('dw1@example.com')"); [ -n "$a" ] && [ "$a" = "$(q "$W1" '' "SELECT privacy.pseudonym('dw1@example.com')")" ] && [ "$a" = "$(q "$W2" '' "SELECT privacy.pseudonym('dw1@example.com')")" ] && echo t)"
check "done-when (masked role): the masked value is the pseudonym of the value" "t" \
	"$(p=$(q "$C" '' "SELECT privacy.pseudonym('dw7@example.com')"); [ "$p" = "$(q "$C" dw_masked "SELECT email FROM public.dw WHERE subject = 7")" ] && echo t)"

# gated role (purpose declared with a plain session SET)
check "done-when (gated role): a consent-gated count returns exactly the consenting rows" "6|4,5,6,9,10,12" \
	"$(sq "$C" dw_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) || '|' || string_agg(subject::text, ',' ORDER BY subject) FROM public.contacts")"
check "done-when (gated role): a router lookup of a non-consenting subject returns nothing" "0" \
	"$(sq "$C" dw_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts WHERE subject = 15")"
check "done-when (gated role): positive control, a router lookup of a consenting subject" "1" \
	"$(sq "$C" dw_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts WHERE subject = 9")"
check "done-when (gated role): directly on a worker, the same" "6|0" \
	"$(sq "$W2" dw_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts" "SELECT count(*) FROM public.contacts WHERE subject = 15" | tr ' ' '|')"

# detokenizing role
check "done-when: tokenize into a distributed table stored tokens, not values" "20|0" \
	"$(q "$C" '' "SELECT count(*) || '|' || count(*) FILTER (WHERE card = '123-45-' || lpad(subject::text, 4, '0')) FROM public.dw")"
check "done-when (detokenizing role): detokenize on the shards gives every value back" "20" \
	"$(q "$C" dw_detok "SELECT count(*) FROM public.dw WHERE privacy.detokenize(card, 'ssn') = '123-45-' || lpad(subject::text, 4, '0')")"
check "done-when (detokenizing role): a router detokenization" "123-45-0003" \
	"$(q "$C" dw_detok "SELECT privacy.detokenize(card, 'ssn') FROM public.dw WHERE subject = 3")"
check "done-when (masked role): positive control, no detokenize grant: refused" "ERROR:  permission denied to detokenize format \"ssn\"" \
	"$(q "$C" dw_masked "SELECT privacy.detokenize(card, 'ssn') FROM public.dw WHERE subject = 3" | grep -m1 -o 'ERROR: .*"ssn"')"
for h in "$W1" "$W2"; do q "$h" '' "SELECT privacy.audit_wait('20 seconds')" >/dev/null; done
check "done-when (detokenizing role): its detokenizations are audited in the coordinator's log, once each" "21" \
	"$(q "$C" '' "SELECT sum(value_count) FROM privacy.citus_audit_log() WHERE role_name = 'dw_detok'")"

# retention
su "$C" citus_test "SELECT privacy.set_retention('public.dw', 'created_at', '20 days')"
check "done-when: purge_now leaves no expired row" "done|0|6" \
	"$(q "$C" '' "SELECT status FROM privacy.purge_now('public.dw')")|$(q "$C" '' "SELECT count(*) FILTER (WHERE created_at < now() - interval '20 days') || '|' || count(*) FROM public.dw")"

# the known upstream crash stays out of reach
su "$C" citus_test "CREATE TABLE public.dw_local (subject int NOT NULL, note text)"
su "$C" citus_test "INSERT INTO public.dw_local VALUES (4, 'a'), (15, 'b')"
su "$C" citus_test "GRANT SELECT ON public.dw_local TO dw_gated"
su "$C" citus_test "SELECT privacy.require_consent('public.dw_local', 'subject', 'marketing')"
check "done-when (gated role): a consent-gated local table joined with a distributed table: clear error, no crash" "ERROR:  cannot join a table under row security with a distributed table" \
	"$(sq "$C" dw_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.dw_local l JOIN public.contacts c USING (subject)" | grep -o '^ERROR:  cannot join a table under row security with a distributed table')"
check "done-when (gated role): positive control, the local table alone" "1" \
	"$(sq "$C" dw_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.dw_local")"
check "done-when: every node still answers (no backend crashed)" "1 1 1" \
	"$(for h in "$C" "$W1" "$W2"; do q "$h" '' "SELECT 1"; done | tr '\n' ' ' | sed 's/ $//')"

# the compliance views, on the coordinator, say what the shards enforce
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.classify('public.dw', 'email', 'email')"
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.classify('public.contacts', 'phone', 'phone')"
check "done-when: effective_access says masked for the masked role, raw for the exempt detokenizing role (as enforced above)" "masked raw" \
	"$(q "$C" '' "SELECT string_agg(access, ' ' ORDER BY role_name DESC) FROM privacy.effective_access WHERE table_name = 'public.dw'::regclass AND column_name = 'email' AND role_name IN ('dw_masked', 'dw_detok')")"
check "done-when: effective_access says the gated role's rows of the distributed table are filtered by consent" "true|{consent:marketing}" \
	"$(q "$C" '' "SELECT rows_filtered || '|' || row_policies::text FROM privacy.effective_access WHERE table_name = 'public.contacts'::regclass AND column_name = 'phone' AND role_name = 'dw_gated'")"
check "done-when: the classifications reached the workers (they drive enforcement there)" "2 2" \
	"$(for h in "$W1" "$W2"; do q "$h" '' "SELECT count(*) FROM privacy._classification WHERE relid IN ('public.dw'::regclass, 'public.contacts'::regclass)"; done | tr '\n' ' ' | sed 's/ $//')"
check "done-when (masked role): still masked after the classification, on a worker (6 rows left by the purge)" "6|0" \
	"$(q "$W1" dw_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'dw%') FROM public.dw")"
