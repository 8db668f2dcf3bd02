#!/usr/bin/env bash
# run.sh: the adversarial suite. Needs PGHOST, PGPORT (a running cluster with
# pg_privacy preloaded) and connects as its superuser (PGUSER).
# Builds two databases with the same schema and different secrets, runs
# attacks.sql and then (with write privileges) attacks_write.sql as the
# masked login role in both, and checks that
#   1. no secret of either database appears in any output or error text,
#   2. every attack's output is identical in both databases, so nothing the
#      masked role can observe (rows, counts, errors, plans) depends on a
#      secret.
# Prints "adversarial: N passed, M failed" (one test per attack section,
# plus one per leak scan).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${ADVERSARIAL_OUT:-$(mktemp -d /tmp/pg_privacy_adv.XXXXXX)}
mkdir -p "$out"
rm -f "$out"/a.* "$out"/b.* "$out"/adv_*
chmod 755 "$out"
secrets_a=("ADVSECRET-A1B2C3D4" "ADVSECRET-0F1E2D3C" "ADVSECRET-99887766" "ADVSECRET-ABCDEF01")
secrets_b=("ADVSECRET-5E6F7081" "ADVSECRET-F0E1D2C3" "ADVSECRET-12345678" "ADVSECRET-00000001")
psql_su() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

setup() {
	local db=$1
	shift
	psql_su -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
	psql_su -d "$db" -v s1="$1" -v s2="$2" -v s3="$3" -v s4="$4" -f "$here/schema.sql" >"$out/$db.setup.log" 2>&1
}

attack() {
	local db=$1 file=$2 tag=$3
	psql -X -U adv_masked -d "$db" \
		-v g1="${secrets_a[0]}" -v g2="${secrets_a[1]}" -v g3="${secrets_a[2]}" -v g4="${secrets_a[3]}" \
		-v h1="${secrets_b[0]}" -v h2="${secrets_b[1]}" -v h3="${secrets_b[2]}" -v h4="${secrets_b[3]}" \
		-f "$here/$file" 2>&1 |
		# EXPLAIN VERBOSE prints query identifiers, which hash relation OIDs
		# (different in the two databases); they carry no data. Their width
		# also sets the width of the plan's header lines.
		sed -E -e 's/Query Identifier: -?[0-9]+/Query Identifier: N/' -e 's/^ +QUERY PLAN +$/QUERY PLAN/' \
			-e 's/^-+$/----/' >"$out/$db.$tag.out"
}

for db in adv_a adv_b; do psql_su -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
psql_su -d postgres -c "DROP ROLE IF EXISTS adv_masked" >/dev/null 2>&1
psql_su -d postgres -c "CREATE ROLE adv_masked LOGIN" >/dev/null
for db in adv_a adv_b; do
	if [ "$db" = adv_a ]; then setup "$db" "${secrets_a[@]}"; else setup "$db" "${secrets_b[@]}"; fi || {
		cat "$out/$db.setup.log"
		echo "adversarial: 0 passed, 1 failed"
		exit 1
	}
done

for db in adv_a adv_b; do
	attack "$db" attacks.sql read
	psql_su -d "$db" -c "GRANT INSERT, UPDATE, DELETE ON adv.person TO adv_masked" >/dev/null
	attack "$db" attacks_write.sql write
done

passed=0
failed=0
# 1. compare section by section
for tag in read write; do
	csplit -s -z -f "$out/a.$tag." "$out/adv_a.$tag.out" '/^== /' '{*}'
	csplit -s -z -f "$out/b.$tag." "$out/adv_b.$tag.out" '/^== /' '{*}'
	for a in "$out"/a.$tag.*; do
		b=$out/b.$tag.${a##*.}
		name=$(head -1 "$a")
		if [ -f "$b" ] && cmp -s "$a" "$b"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "adversarial: output differs between databases in [$tag] $name" >&2
			diff "$a" "$b" | head -20 >&2
		fi
	done
done
# 2. the secrets the attacker never typed (row 3) appear nowhere; the typed
# guesses may be echoed back (e.g. in EXPLAIN), which step 1 shows is
# independent of the data
for s in "${secrets_a[2]}" "${secrets_b[2]}"; do
	if grep -rl -- "$s" "$out"/adv_*.out >/dev/null 2>&1; then
		failed=$((failed + 1))
		echo "adversarial: secret $s appears in: $(grep -rl -- "$s" "$out"/adv_*.out | tr '\n' ' ')" >&2
	else
		passed=$((passed + 1))
	fi
done
# the suite must actually have run the attacks
sections=$(grep -c '^== ' "$out/adv_a.read.out")
if [ "$sections" -lt 15 ]; then
	failed=$((failed + 1))
	echo "adversarial: only $sections attack sections ran" >&2
fi
# issue 13, classes 4-6 (write-back, keyed-mask oracle, noise wrap-around)
source "$here/classes_4_6.sh"
for db in adv_a adv_b; do psql_su -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
psql_su -d postgres -c "DROP ROLE IF EXISTS adv_masked" >/dev/null 2>&1
psql_su -d postgres -c "DROP ROLE IF EXISTS adv_control46" >/dev/null 2>&1
echo "adversarial: outputs in $out"
echo "adversarial: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
