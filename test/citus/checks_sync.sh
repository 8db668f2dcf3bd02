# checks_sync.sh (sourced by checks.sh): whether every worker holds the
# coordinator's policy state, what happens when one does not, and
# privacy.citus_sync_policies() bringing it back.

check "every worker holds the coordinator's policy state (propagated at commit)" "2|true" \
	"$(q "$C" '' "SELECT count(*) || '|' || bool_and(in_sync) FROM privacy.citus_policy_status()")"
# a worker changed behind the coordinator's back
su "$W1" citus_test "DELETE FROM privacy._consent WHERE subject = '4'"
check "a worker whose state was changed locally is reported out of sync" "false true" \
	"$(q "$C" '' "SELECT string_agg(in_sync::text, ' ' ORDER BY node = '$W1:$PGPORT' DESC) FROM privacy.citus_policy_status()")"
check "citus_sync_policies brings it back" "2|true" \
	"$(q "$C" '' "SELECT privacy.citus_sync_policies() || '|' || (SELECT bool_and(in_sync) FROM privacy.citus_policy_status())")"

# a table masked before it was distributed: create_distributed_table does
# not touch pg_privacy's catalog, so the workers do not know its policy yet
su "$C" citus_test "CREATE TABLE public.late (id int NOT NULL, email text)"
su "$C" citus_test "INSERT INTO public.late SELECT g, 'late' || g || '@example.com' FROM generate_series(1, 8) g"
su "$C" citus_test "GRANT SELECT ON public.late TO ct_masked"
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.mask_column('public.late', 'email', 'privacy.mask_email(email)')"
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT create_distributed_table('public.late', 'id', shard_count := 2); SELECT truncate_local_data_after_distributing_table('public.late')"
check "distributed after masking: the workers are reported out of sync" "2|false" \
	"$(q "$C" '' "SELECT count(*) || '|' || bool_or(in_sync) FROM privacy.citus_policy_status()")"
check "until synchronized, masked roles read no row of it (fails closed, never raw)" "0" \
	"$(q "$C" ct_masked "SELECT count(*) FROM public.late")"
su "$C" citus_test "SELECT privacy.citus_sync_policies()"
check "after citus_sync_policies: every row, masked" "8|0" \
	"$(q "$C" ct_masked "SELECT count(*) || '|' || count(*) FILTER (WHERE email LIKE 'late%') FROM public.late")"

# propagation follows the transaction: a rolled-back change never reaches
# the workers; with immediate constraints every changing statement pushes
su "$C" citus_test "BEGIN; SELECT privacy.grant_consent('12', 'marketing'); ROLLBACK"
check "a rolled-back consent grant does not reach the workers" "0 0" \
	"$(q "$W1" '' "SELECT count(*) FROM privacy._consent WHERE subject = '12'") $(q "$W2" '' "SELECT count(*) FROM privacy._consent WHERE subject = '12'")"
psql -X -q -At -h "$C" -d citus_test -c "BEGIN" -c "SET CONSTRAINTS ALL IMMEDIATE" -c "SELECT privacy.grant_consent('12', 'marketing')" \
	-c "SELECT privacy.revoke_consent('1', 'marketing')" -c "COMMIT" >>"$out/setup.log" 2>&1
check "with immediate constraints, every change of the transaction reaches the workers" "1|0 1|0" \
	"$(for h in "$W1" "$W2"; do q "$h" '' "SELECT count(*) FILTER (WHERE subject = '12' AND revoked_at IS NULL) || '|' || count(*) FILTER (WHERE subject = '1' AND revoked_at IS NULL) FROM privacy._consent"; done | tr '\n' ' ' | sed 's/ $//')"
check "the gated role sees exactly the subjects whose consent stands on the coordinator" "4,5,6,9,10,12" \
	"$(pq "$C" ct_gated marketing "SELECT string_agg(subject::text, ',' ORDER BY subject) FROM public.contacts")"

# a worker that refuses the state: the coordinator's commit fails, and no
# value of the state is echoed in the error or in the worker's log
su "$W1" citus_test "ALTER TABLE privacy._consent ADD CONSTRAINT ct_refuse CHECK (subject <> 'canary-subject-77')"
refused=$(q "$C" '' "SELECT privacy.grant_consent('canary-subject-77', 'marketing')")
check "a worker refusing the state makes the commit fail" "ERROR:  could not synchronize policies to worker" \
	"$(echo "$refused" | head -1 | grep -o '^ERROR:  could not synchronize policies to worker')"
check "the refusal names the table and constraint, not the value" "t|0" \
	"$(echo "$refused" | grep -q 'table _consent, constraint ct_refuse (SQLSTATE 23514)' && echo t)|$(echo "$refused" | grep -c 'canary-subject-77')"
check "positive control: the grant was not committed on the coordinator" "0" \
	"$(q "$C" '' "SELECT count(*) FROM privacy._consent WHERE subject = 'canary-subject-77'")"
check "the worker's log holds no value of the state" "0" \
	"$(w1log="$(dirname "$W1")/server.log"; if [ -s "$w1log" ]; then grep -c 'canary-subject-77' "$w1log"; else echo "no log at $w1log"; fi)"
su "$W1" citus_test "ALTER TABLE privacy._consent DROP CONSTRAINT ct_refuse"
