# checks_purpose.sh (sourced by checks.sh after checks_rows.sh): a purpose
# declared with a plain session SET reaches the nodes that read the shards
# (carried in the statements Citus sends, src/pg/catalog/citus_purpose.hpp),
# is seen cleared or changed at the next statement, and cannot be forged.
# The consenting subjects here are 1..10 without 3 (revoked in checks_rows.sh).

# sq HOST ROLE STATEMENT...: one session (SET ROLE first), one -c per
# statement, the output lines joined by spaces
sq() {
	local host=$1 role=$2 args=()
	shift 2
	[ -n "$role" ] && args+=(-c "SET ROLE $role")
	for stmt in "$@"; do args+=(-c "$stmt"); done
	psql -X -q -At -h "$host" -d citus_test "${args[@]}" 2>&1 | sed 's/^psql:[^ ]* //' | tr '\n' ' ' | sed 's/ $//'
}

check "session SET purpose, coordinator, multi-shard count: exactly the consenting rows" "9" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts")"
check "session SET purpose, router lookups: a consenting subject found, a non-consenting one not" "1 0" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts WHERE subject = 2" "SELECT count(*) FROM public.contacts WHERE subject = 15")"
check "session SET purpose directly on a worker (it plans the distributed query)" "9" \
	"$(sq "$W1" ct_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts")"
check "session SET purpose, a CTE planned recursively (intermediate result)" "9" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "WITH c AS MATERIALIZED (SELECT subject FROM public.contacts ORDER BY subject LIMIT 100) SELECT count(*) FROM c")"
check "session SET purpose, a subquery in WHERE" "9" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts WHERE subject IN (SELECT subject FROM public.contacts WHERE subject > 0)")"
check "session SET purpose, COPY (query) TO" "9" \
	"$(psql -X -q -At -h "$C" -d citus_test -c "SET ROLE ct_gated" -c "SET privacy.purpose = 'marketing'" -c "COPY (SELECT subject FROM public.contacts) TO STDOUT" 2>&1 | grep -c '^[0-9]')"
check "session SET purpose, COPY table TO" "9" \
	"$(psql -X -q -At -h "$C" -d citus_test -c "SET ROLE ct_gated" -c "SET privacy.purpose = 'marketing'" -c "COPY public.contacts (subject) TO STDOUT" 2>&1 | grep -c '^[0-9]')"
check "positive control: the superuser's COPY table TO (run as a query too) returns every row" "20" \
	"$(psql -X -q -At -h "$C" -d citus_test -c "COPY public.contacts (subject) TO STDOUT" 2>&1 | grep -c '^[0-9]')"
check "a role switched after PREPARE (generic plan): the plan is made again for it (its own proof)" "9 9 9 9 9 9 20" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "PREPARE sw AS SELECT count(*) FROM public.contacts" "EXECUTE sw" "EXECUTE sw" "EXECUTE sw" "EXECUTE sw" "EXECUTE sw" "EXECUTE sw" "SET ROLE ct_rowexempt" "EXECUTE sw")"
check "positive control: COPY table TO without a purpose: no row" "0" \
	"$(psql -X -q -At -h "$C" -d citus_test -c "SET ROLE ct_gated" -c "COPY public.contacts (subject) TO STDOUT" 2>&1 | grep -c '^[0-9]')"

# cleared or changed: seen at the next statement, also by a prepared
# statement past its generic plan, and over a SET LOCAL already sent
check "a purpose cleared with SET is seen at the next statement" "9 0 9 0" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts" "SET privacy.purpose = ''" "SELECT count(*) FROM public.contacts" "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts" "RESET privacy.purpose" "SELECT count(*) FROM public.contacts")"
su "$C" citus_test "SELECT privacy.create_purpose('research', 'studies')"
su "$C" citus_test "SELECT privacy.allow_purpose('ct_gated', 'research')"
check "a purpose changed to another one is seen at the next statement (another purpose: every row)" "9 20" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts" "SET privacy.purpose = 'research'" "SELECT count(*) FROM public.contacts")"
check "a prepared statement (generic plan) sees the purpose cleared" "9 9 9 9 9 9 9 0 0" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "PREPARE pc AS SELECT count(*) FROM public.contacts" "EXECUTE pc" "EXECUTE pc" "EXECUTE pc" "EXECUTE pc" "EXECUTE pc" "EXECUTE pc" "EXECUTE pc" "SET privacy.purpose = ''" "EXECUTE pc" "EXECUTE pc")"
check "a prepared router lookup (generic plan) sees the purpose cleared" "2 2 2 2 2 2 2" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "PREPARE pr(int) AS SELECT subject FROM public.contacts WHERE subject = \$1" "EXECUTE pr(2)" "EXECUTE pr(2)" "EXECUTE pr(2)" "EXECUTE pr(2)" "EXECUTE pr(2)" "EXECUTE pr(2)" "EXECUTE pr(2)" "SET privacy.purpose = ''" "EXECUTE pr(2)" "EXECUTE pr(2)")"
check "a session SET clearing a purpose sent with SET LOCAL earlier in the transaction: no row" "9 0" \
	"$(sq "$C" ct_gated "BEGIN" "SET LOCAL citus.propagate_set_commands = 'local'" "SET LOCAL privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts" "SET privacy.purpose = ''" "SELECT count(*) FROM public.contacts" "COMMIT")"
check "a PL/pgSQL function's cached plan sees the purpose cleared" "9 0" \
	"$(sq "$C" ct_gated "SET client_min_messages = error" "SET privacy.purpose = 'marketing'" "CREATE FUNCTION pg_temp.cnt() RETURNS bigint LANGUAGE plpgsql AS \$\$BEGIN RETURN (SELECT count(*) FROM public.contacts); END\$\$" "SELECT pg_temp.cnt()" "SET privacy.purpose = ''" "SELECT pg_temp.cnt()")"

# forging: a marker written into a statement is refused
check "a marker written into a statement on the coordinator is refused" "ERROR:  invalid purpose carried to this Citus node" \
	"$(sq "$C" ct_gated "SELECT count(*) FROM public.contacts WHERE privacy._citus_purpose('marketing', '00000000000000000000000000000000', '$(q "$C" '' "SELECT generation FROM privacy._citus_sync_state")'::bigint)" | grep -o '^ERROR:  invalid purpose carried to this Citus node')"
check "a forged marker on a shard queried by name on its worker is refused" "ERROR:  invalid purpose carried to this Citus node" \
	"$(sq "$W2" ct_gated "SELECT count(*) FROM public.$cshard WHERE privacy._citus_purpose('marketing', '00000000000000000000000000000000', '$(q "$C" '' "SELECT generation FROM privacy._citus_sync_state")'::bigint)" | grep -o '^ERROR:  invalid purpose carried to this Citus node')"
check "a marker for a purpose not allowed to the role is refused" "ERROR:  invalid purpose carried to this Citus node" \
	"$(sq "$W2" ct_masked "SELECT count(*) FROM public.$cshard WHERE privacy._citus_purpose('marketing', '00000000000000000000000000000000', '$(q "$C" '' "SELECT generation FROM privacy._citus_sync_state")'::bigint)" | grep -o '^ERROR:  invalid purpose carried to this Citus node')"
check "a marker carrying no purpose on a shard by name: no non-consenting row, also with the worker's own purpose set" "0 0" \
	"$(sq "$W2" ct_gated "SELECT count(*) FROM public.$cshard WHERE privacy._citus_purpose('', '', '$(q "$W2" '' "SELECT generation FROM privacy._citus_sync_state")'::bigint)" "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.$cshard WHERE privacy._citus_purpose('', '', '$(q "$W2" '' "SELECT generation FROM privacy._citus_sync_state")'::bigint)")"
check "calling the carried consent check directly binds nothing (the session's setting decides)" "f t" \
	"$(sq "$C" ct_gated "SELECT privacy._consent_allows_carried('public.contacts', 'marketing', '2', 'marketing')" "SET privacy.purpose = 'marketing'" "SELECT privacy._consent_allows_carried('public.contacts', 'marketing', '2', '')")"
check "a role that may not declare the purpose cannot SET it" "ERROR:  permission denied to declare purpose \"marketing\"" \
	"$(sq "$C" ct_masked "SET privacy.purpose = 'marketing'" | grep -o '^ERROR:  permission denied to declare purpose "marketing"')"
# the worker checks the role again: a worker that (behind the coordinator's
# back) no longer allows the purpose refuses the carried one
su "$W1" citus_test "DELETE FROM privacy._purpose_role WHERE purpose = 'marketing' AND role = 'ct_gated'::regrole"
check "a worker that does not allow the carried purpose to the role refuses it" "ERROR:  permission denied to declare purpose \"marketing\"" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts" | grep -o 'ERROR:  permission denied to declare purpose "marketing"' | head -1)"
su "$C" citus_test "SELECT privacy.citus_sync_policies()"
check "positive control: synchronized again, the carried purpose is accepted" "9" \
	"$(sq "$C" ct_gated "SET privacy.purpose = 'marketing'" "SELECT count(*) FROM public.contacts")"
