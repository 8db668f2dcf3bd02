#!/usr/bin/env bash
# checks.sh OUT: the checks of the Citus suite, against the coordinator and
# workers that run.sh started (CITUS_COORD_HOST, CITUS_W1_HOST, CITUS_W2_HOST:
# socket directories; PGPORT, PGUSER: the superuser). Each check prints
# "ok - NAME" or "not ok - NAME" to stdout and OUT/checks.log.
set -uo pipefail
out=$1
log=$out/checks.log
: >"$log"

# q HOST [ROLE] SQL: one value (or rows) from psql, errors on stdout.
q() {
	local host=$1 role=$2
	shift 2
	psql -X -q -At -h "$host" -d citus_test -c "${role:+SET ROLE $role;}$*" 2>&1 | sed 's/^psql:[^ ]* //'
}
su() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$1" -d "${2:-citus_test}" -c "$3" >>"$out/setup.log" 2>&1; }

# prepared HOST SETUP PREPARE EXECUTE N: in one session, SETUP (statements
# separated by ";" are sent one by one), PREPARE, then EXECUTE N times (past
# the custom plans: a generic plan is cached)
prepared() {
	local host=$1 setup=$2 prep=$3 exec=$4 n=$5 args=() stmt
	IFS=';' read -ra stmts <<<"$setup"
	for stmt in "${stmts[@]}"; do args+=(-c "$stmt"); done
	args+=(-c "$prep")
	for _ in $(seq "$n"); do args+=(-c "$exec"); done
	psql -X -q -At -h "$host" -d citus_test "${args[@]}" 2>&1 | sed 's/^psql:[^ ]* //'
}

# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then
		echo "ok - $1" | tee -a "$log"
	else
		echo "not ok - $1" | tee -a "$log"
		printf '#   expected: %s\n#   got:      %s\n' "$2" "$3" | tee -a "$log"
	fi
}

C=$CITUS_COORD_HOST
W1=$CITUS_W1_HOST
W2=$CITUS_W2_HOST
W3=$CITUS_W3_HOST
W4=$CITUS_W4_HOST

# ---- the cluster -----------------------------------------------------------
for h in "$C" "$W1" "$W2" "$W3" "$W4"; do
	su "$h" postgres "CREATE DATABASE citus_test"
	su "$h" citus_test "CREATE EXTENSION citus"
done
su "$C" citus_test "SELECT citus_set_coordinator_host('$C', $PGPORT)"
su "$C" citus_test "SELECT citus_add_node('$W1', $PGPORT)"
su "$C" citus_test "SELECT citus_add_node('$W2', $PGPORT)"
check "coordinator and two active workers" "2" \
	"$(q "$C" '' "SELECT count(*) FROM pg_dist_node WHERE isactive AND groupid <> 0")"

# CREATE EXTENSION on the coordinator is propagated to the workers
su "$C" citus_test "CREATE EXTENSION pg_privacy"
check "pg_privacy propagated to every worker" "t t" \
	"$(q "$W1" '' "SELECT count(*) = 1 FROM pg_extension WHERE extname = 'pg_privacy'") $(q "$W2" '' "SELECT count(*) = 1 FROM pg_extension WHERE extname = 'pg_privacy'")"

# the schema: a distributed table with a masked column
su "$C" citus_test "CREATE ROLE ct_masked LOGIN"
su "$C" citus_test "CREATE ROLE ct_exempt LOGIN"
su "$C" citus_test "CREATE TABLE public.events (id bigint, subject int NOT NULL, email text, created_at timestamptz NOT NULL DEFAULT now())"
su "$C" citus_test "SELECT create_distributed_table('public.events', 'subject', shard_count := 4)"
su "$C" citus_test "INSERT INTO public.events SELECT g, g, 'user' || g || '@example.com', now() - (g || ' days')::interval FROM generate_series(1, 40) g"
su "$C" citus_test "GRANT SELECT ON public.events TO ct_masked, ct_exempt"
check "distributed table has rows on both workers" "40" "$(q "$C" '' "SELECT count(*) FROM public.events")"

. "$(dirname "$0")/checks_masking.sh"
. "$(dirname "$0")/checks_rows.sh"
. "$(dirname "$0")/checks_purpose.sh"
. "$(dirname "$0")/checks_tokens.sh"
. "$(dirname "$0")/checks_retention.sh"
. "$(dirname "$0")/checks_subjects.sh"
. "$(dirname "$0")/checks_sync.sh"
. "$(dirname "$0")/checks_done_when.sh"
. "$(dirname "$0")/checks_nodes.sh"
. "$(dirname "$0")/checks_maintenance.sh"
