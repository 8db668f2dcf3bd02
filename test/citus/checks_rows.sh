# checks_rows.sh (sourced by checks.sh): consent, purpose and attribute
# filters on a distributed and a reference table. Declared on the
# coordinator, propagated to the workers at commit (no
# citus_sync_policies call here), enforced on the shards.

# pq HOST ROLE PURPOSE SQL: SQL as ROLE in a transaction that declares
# PURPOSE with SET LOCAL, propagated to the workers Citus uses
pq() {
	local host=$1 role=$2 purpose=$3
	shift 3
	# one statement per -c: Citus forwards the text of a SET LOCAL statement
	psql -X -q -At -h "$host" -d citus_test -c "BEGIN" ${role:+-c "SET LOCAL ROLE $role"} \
		-c "SET LOCAL citus.propagate_set_commands = 'local'" ${purpose:+-c "SET LOCAL privacy.purpose = '$purpose'"} \
		-c "$*" -c "COMMIT" 2>&1 | sed 's/^psql:[^ ]* //'
}

su "$C" citus_test "CREATE ROLE ct_gated LOGIN"
su "$C" citus_test "CREATE ROLE ct_rowexempt LOGIN"
su "$C" citus_test "CREATE TABLE public.contacts (subject int NOT NULL, region text, phone text)"
su "$C" citus_test "SELECT create_distributed_table('public.contacts', 'subject', shard_count := 4)"
su "$C" citus_test "INSERT INTO public.contacts SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, '555-' || g FROM generate_series(1, 20) g"
su "$C" citus_test "CREATE TABLE public.regions (code text PRIMARY KEY, subject int NOT NULL, restricted boolean NOT NULL)"
su "$C" citus_test "SELECT create_reference_table('public.regions')"
su "$C" citus_test "INSERT INTO public.regions VALUES ('eu', 1, false), ('us', 2, false), ('xx', 3, true)"
su "$C" citus_test "GRANT SELECT ON public.contacts, public.regions TO ct_gated, ct_rowexempt"
su "$C" citus_test "SELECT privacy.create_purpose('marketing', 'newsletters')"
su "$C" citus_test "SELECT privacy.allow_purpose('ct_gated', 'marketing')"
su "$C" citus_test "SELECT privacy.allow_purpose('ct_rowexempt', 'marketing')"
check "require_consent on a distributed table is accepted (no longer refused)" "" \
	"$(q "$C" '' "SET citus.enable_unsafe_triggers = on; SELECT privacy.require_consent('public.contacts', 'subject', 'marketing')")"
su "$C" citus_test "SELECT privacy.grant_consent(ARRAY(SELECT g::text FROM generate_series(1, 10) g), 'marketing')"
su "$C" citus_test "SELECT privacy.grant_unmasked('ct_rowexempt', 'public.contacts')"

# propagated at commit, without privacy.citus_sync_policies()
check "workers hold the consent policy, the purpose and the consents (propagated at commit)" "1|1|10 1|1|10" \
	"$(q "$W1" '' "SELECT (SELECT count(*) FROM privacy._row_policy WHERE relid = 'public.contacts'::regclass) || '|' || (SELECT count(*) FROM privacy._purpose_role) / 2 || '|' || (SELECT count(*) FROM privacy._consent)") $(q "$W2" '' "SELECT (SELECT count(*) FROM privacy._row_policy WHERE relid = 'public.contacts'::regclass) || '|' || (SELECT count(*) FROM privacy._purpose_role) / 2 || '|' || (SELECT count(*) FROM privacy._consent)")"

# through the coordinator
check "gated role, coordinator, multi-shard count: exactly the consenting rows" "10" \
	"$(pq "$C" ct_gated marketing "SELECT count(*) FROM public.contacts")"
check "gated role, coordinator: the subjects seen are the consenting ones" "1-10" \
	"$(pq "$C" ct_gated marketing "SELECT min(subject) || '-' || max(subject) FROM public.contacts")"
check "gated role, router lookup of a non-consenting subject returns nothing" "0" \
	"$(pq "$C" ct_gated marketing "SELECT count(*) FROM public.contacts WHERE subject = 15")"
check "positive control: router lookup of a consenting subject" "3|555-3" \
	"$(pq "$C" ct_gated marketing "SELECT subject || '|' || phone FROM public.contacts WHERE subject = 3")"
check "gated role without a declared purpose: no row (fails closed)" "0" \
	"$(pq "$C" ct_gated '' "SELECT count(*) FROM public.contacts")"
check "gated role, purpose set for the session only: carried to the shards" "10" \
	"$(q "$C" ct_gated "SET privacy.purpose = 'marketing'; SELECT count(*) FROM public.contacts")"
check "positive control: the superuser sees every row" "20" \
	"$(q "$C" '' "SELECT count(*) FROM public.contacts")"
check "positive control: a role exempt on the table sees every row" "20" \
	"$(pq "$C" ct_rowexempt marketing "SELECT count(*) FROM public.contacts")"
check "gated role, aggregate pushed down: no non-consenting subject counted" "0" \
	"$(pq "$C" ct_gated marketing "SELECT count(*) FILTER (WHERE subject > 10) FROM public.contacts")"
# a purpose the role may not declare is refused on the worker too
check "a purpose not allowed to the role is refused" "ERROR:  permission denied to declare purpose \"marketing\"" \
	"$(pq "$C" ct_masked marketing "SELECT count(*) FROM public.contacts" | grep -m1 -o 'ERROR: .*marketing"')"

# directly on a worker, and a shard by name
check "gated role directly on a worker: exactly the consenting rows" "10" \
	"$(pq "$W1" ct_gated marketing "SELECT count(*) FROM public.contacts")"
# a router lookup on the worker that holds the shard runs there by local
# execution (the shard query is planned from the rewritten tree)
holder() { q "$C" '' "SELECT nodename FROM citus_shards WHERE shardid = get_shard_id_for_distribution_column('public.$1', $2)"; }
check "gated role, router lookup of a non-consenting subject on the worker holding it (local execution): nothing" "0 0 0" \
	"$(for s in 15 16 17; do pq "$(holder contacts $s)" ct_gated marketing "SELECT count(*) FROM public.contacts WHERE subject = $s"; done | tr '\n' ' ' | sed 's/ $//')"
check "positive control: a consenting subject on the worker holding it" "1 1 1" \
	"$(for s in 2 4 6; do pq "$(holder contacts $s)" ct_gated marketing "SELECT count(*) FROM public.contacts WHERE subject = $s"; done | tr '\n' ' ' | sed 's/ $//')"
check "gated role, prepared router lookup of a non-consenting subject, 8 times on the worker holding it: nothing" "0" \
	"$(prepared "$(holder contacts 15)" "BEGIN; SET LOCAL ROLE ct_gated; SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL privacy.purpose = 'marketing'" "PREPARE gl(int) AS SELECT subject FROM public.contacts WHERE subject = \$1" "EXECUTE gl(15)" 8 | grep -c '^15$')"
check "positive control: the same prepared lookup of a consenting subject returns it every time" "8" \
	"$(prepared "$(holder contacts 2)" "BEGIN; SET LOCAL ROLE ct_gated; SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL privacy.purpose = 'marketing'" "PREPARE gl(int) AS SELECT subject FROM public.contacts WHERE subject = \$1" "EXECUTE gl(2)" 8 | grep -c '^2$')"
cshard=$(q "$W2" '' "SET citus.override_table_visibility = off; SELECT c.relname FROM pg_class c WHERE c.relname LIKE 'contacts\_%' AND c.relkind = 'r' ORDER BY 1 LIMIT 1")
su "$W2" citus_test "GRANT SELECT ON public.$cshard TO ct_gated"
check "gated role, a shard queried by name on its worker: no non-consenting row" "0" \
	"$(pq "$W2" ct_gated marketing "SELECT count(*) FROM public.$cshard WHERE subject > 10")"
check "positive control: that shard holds non-consenting rows" "t" \
	"$(q "$W2" '' "SELECT count(*) > 0 FROM public.$cshard WHERE subject > 10")"

# revocation reaches the workers at commit
su "$C" citus_test "SELECT privacy.revoke_consent('3', 'marketing')"
check "revoked consent: the router lookup returns nothing, the count drops" "0|9" \
	"$(pq "$C" ct_gated marketing "SELECT (SELECT count(*) FROM public.contacts WHERE subject = 3) || '|' || (SELECT count(*) FROM public.contacts)")"
check "revoked consent, directly on a worker" "9" \
	"$(pq "$W2" ct_gated marketing "SELECT count(*) FROM public.contacts")"

# an attribute filter on a reference table (shards on every node, read
# locally by the coordinator)
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.add_row_filter('public.regions', 'no_restricted', 'NOT restricted')"
check "filter on a reference table, coordinator: restricted row hidden" "eu,us" \
	"$(q "$C" ct_gated "SELECT string_agg(code, ',' ORDER BY code) FROM public.regions")"
check "filter on a reference table, directly on a worker" "eu,us" \
	"$(q "$W1" ct_gated "SELECT string_agg(code, ',' ORDER BY code) FROM public.regions")"
check "positive control: the superuser sees the restricted row" "eu,us,xx" \
	"$(q "$W1" '' "SELECT string_agg(code, ',' ORDER BY code) FROM public.regions")"
check "filter on a reference table joined with the distributed table" "2" \
	"$(pq "$C" ct_gated marketing "SELECT count(DISTINCT r.code) FROM public.contacts c JOIN public.regions r ON r.code = c.region")"
# the filter's WITH CHECK holds for writes (on the shards)
su "$C" citus_test "GRANT INSERT ON public.regions TO ct_gated"
check "a filtered role cannot insert a row the filter hides" "ERROR:  new row violates row-level security policy" \
	"$(q "$C" ct_gated "INSERT INTO public.regions VALUES ('yy', 4, true)" | head -1 | grep -o '^ERROR:  new row violates row-level security policy')"
check "positive control: it inserts a row the filter lets through" "INSERT 0 1" \
	"$(psql -X -h "$C" -d citus_test -c "SET ROLE ct_gated" -c "INSERT INTO public.regions VALUES ('zz', 5, false)" 2>&1 | tail -1)"
su "$C" citus_test "DELETE FROM public.regions WHERE code = 'zz'"
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.drop_row_policy('public.regions', 'no_restricted')"
check "dropping the filter reaches the workers at commit" "eu,us,xx" \
	"$(q "$W2" ct_gated "SELECT string_agg(code, ',' ORDER BY code) FROM public.regions")"

# policies are declared on the table, not on a shard
check "a row policy on a shard by name is refused" "ERROR:  row policies are declared on the Citus table, not on its shards" \
	"$(q "$W2" '' "SELECT privacy.require_consent('public.$cshard', 'subject', 'marketing')" | head -1)"
