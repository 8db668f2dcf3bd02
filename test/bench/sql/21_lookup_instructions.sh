#!/usr/bin/env bash
# 21_lookup_instructions.sh: the point lookups of 20_column_masking.sh
# counted in instructions instead of time, so that the figure does not move
# with the machine's load (the TPS ratios there swing by 2x between rounds
# on a busy machine). A throwaway cluster with the same table (100,000 rows)
# and masks runs BENCH_IR_LOOKUPS lookups (default 2000) in single-user mode
# under valgrind's callgrind, once per role and protocol; the backend's
# instructions per lookup are the difference to a run without lookups.
# Single-user mode runs each line as a simple-protocol query; "prepared" is
# PREPARE once, then EXECUTE (the plan cache's generic plan, as -M prepared).
# The masked role is counted twice: as planned now (a lookup only returns
# masked columns, so they are masked at its output) and with
# privacy.output_masking off (the masks substituted into the plan).
# These count the backend alone: the client, the kernel and the network
# are the same for both roles, so the TPS ratios are closer to 1.
# Skipped when valgrind is not installed.
set -euo pipefail
if ! command -v valgrind >/dev/null; then
	echo "point lookups in instructions: skipped (valgrind not installed)"
	exit 0
fi
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
unset PGHOST PGPORT PGDATABASE PGUSER
source test/harness/cluster.sh
source test/bench/goals.sh
trap cluster_destroy_all EXIT
n=${BENCH_IR_LOOKUPS:-2000}
rows=100000

cluster_create lookup_ir yes
cluster_start lookup_ir
dir=${CLUSTER_DIR[lookup_ir]}
cluster_psql lookup_ir -d postgres -c 'CREATE DATABASE privacy_bench' >/dev/null
cluster_psql lookup_ir -d privacy_bench -v ON_ERROR_STOP=1 -o /dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pg_privacy;
CREATE SCHEMA bench;
CREATE TABLE bench.masked5 AS
SELECT n AS id,
	'person' || n || '@example.' || (ARRAY['com','org','net'])[1 + n % 3] AS email,
	'+44 20 ' || lpad((n % 10000)::text, 4, '0') || ' ' || lpad(((n * 7) % 10000)::text, 4, '0') AS phone,
	'4000' || lpad(((n::bigint * 2654435761) % 1000000000000)::text, 12, '0') AS card,
	'Name' || n AS full_name, (n % 97)::int AS score
FROM generate_series(1::bigint, $rows) AS n;
ALTER TABLE bench.masked5 ADD PRIMARY KEY (id);
VACUUM ANALYZE bench.masked5;
SELECT privacy.mask_column('bench.masked5', 'email', 'privacy.redact(email)');
SELECT privacy.mask_column('bench.masked5', 'phone', \$\$left(phone, 3) || '*******'\$\$);
SELECT privacy.mask_column('bench.masked5', 'card', \$\$'****' || right(card, 4)\$\$);
SELECT privacy.mask_column('bench.masked5', 'full_name', 'privacy.redact(full_name)');
SELECT privacy.mask_column('bench.masked5', 'score', '(score / 10) * 10');
CREATE ROLE bench_masked;
CREATE ROLE bench_exempt;
GRANT USAGE ON SCHEMA bench TO bench_masked, bench_exempt;
GRANT SELECT ON bench.masked5 TO bench_masked, bench_exempt;
SELECT privacy.grant_unmasked('bench_exempt', 'bench.masked5');
CHECKPOINT;
SQL
cluster_stop lookup_ir

typed="SELECT id, privacy.redact(email) AS email, left(phone, 3) || '*******' AS phone, '****' || right(card, 4) AS card,
	privacy.redact(full_name) AS full_name, (score / 10) * 10 AS score FROM bench.masked5"
typed=$(echo "$typed" | tr '\n\t' '  ')
# instructions ROLE MODE COUNT [SUBST] prints the backend's instructions for
# COUNT lookups; SUBST=subst masks by substitution (privacy.output_masking
# off, the way every masked statement was planned before issue 19)
instructions() {
	local role=$1 mode=$2 count=$3 subst=${4:-} i id
	{
		[ "$subst" = subst ] && echo "SET privacy.output_masking = off;"
		echo "SET ROLE $role;"
		[ "$mode" = prepared ] && echo "PREPARE q(bigint) AS SELECT * FROM bench.masked5 WHERE id = \$1;"
		for ((i = 0; i < count; i++)); do
			id=$(((i * 7919) % rows + 1))
			case $mode in
			prepared) echo "EXECUTE q($id);" ;;
			typed) echo "$typed WHERE id = $id;" ;;
			*) echo "SELECT * FROM bench.masked5 WHERE id = $id;" ;;
			esac
		done
	} >"$dir/lookups.sql"
	chmod 644 "$dir/lookups.sql"
	rm -f "$dir/callgrind.out"
	as_server_user valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
		"$PG_BINDIR/postgres" --single -D "$dir/data" privacy_bench <"$dir/lookups.sql" >/dev/null 2>"$dir/valgrind.log" ||
		{ tail -5 "$dir/valgrind.log" >&2; return 1; }
	sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$dir/callgrind.out"
}
per_lookup() { awk -v a="$1" -v b="$2" -v n="$n" 'BEGIN { printf "%.0f", (a - b) / n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

base=$(instructions bench_masked simple 0)
ms=$(per_lookup "$(instructions bench_masked simple "$n")" "$base")
es=$(per_lookup "$(instructions bench_exempt simple "$n")" "$base")
xs=$(per_lookup "$(instructions bench_exempt typed "$n")" "$base")
mp=$(per_lookup "$(instructions bench_masked prepared "$n")" "$base")
ep=$(per_lookup "$(instructions bench_exempt prepared "$n")" "$base")
mss=$(per_lookup "$(instructions bench_masked simple "$n" subst)" "$base")
mps=$(per_lookup "$(instructions bench_masked prepared "$n" subst)" "$base")
echo "point lookup by primary key, backend instructions per lookup (callgrind, single-user mode, $n lookups, $rows rows):"
echo "  simple protocol: masked $ms, exempt $es, exempt typing the masks $xs"
echo "  prepared:        masked $mp, exempt $ep"
echo "  exempt / masked instructions, simple   = $(ratio "$es" "$ms")   (the TPS goal >= 0.9 if the backend were all the cost)"
echo "  exempt / masked instructions, prepared = $(ratio "$ep" "$mp")   (the TPS goal >= 0.95 likewise)"
echo "  masked / exempt typing the same masks, simple = $(ratio "$ms" "$xs")   (the mechanism's own cost)"
echo "  masked with privacy.output_masking off (masks substituted into the plan): simple $mss, prepared $mps"
echo "  exempt / masked instructions with the substitution, simple = $(ratio "$es" "$mss"), prepared = $(ratio "$ep" "$mps")"
bench_goal "  the same lookups in backend instructions, exempt / masked, simple (callgrind)" "$(ratio "$es" "$ms")" "-"
bench_goal "  the same lookups in backend instructions, exempt / masked, prepared (callgrind)" "$(ratio "$ep" "$mp")" "-"
