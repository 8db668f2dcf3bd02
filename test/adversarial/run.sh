#!/usr/bin/env bash
# run.sh: the adversarial suite. Needs PGHOST, PGPORT (a running cluster with
# pg_privacy preloaded) and connects as its superuser (PGUSER).
# Builds two databases with the same schema and different secrets, runs
# attacks.sql and then (with write privileges) attacks_write.sql as the
# masked login role in both, and checks that
#   1. no secret of either database appears in any output or error text,
#   2. every attack's output is identical in both databases, so nothing the
#      masked role can observe (rows, counts, errors, plans) depends on a
#      secret,
#   3. (positive controls) the same files, run in two more pairs of
#      databases by an unmasked role with the same privileges (adv_control)
#      and by an unmasked role that also bypasses row security (adv_bypass,
#      for sections marked "[row security]"), produce a different output
#      for every attack section in both databases: an attack that errors or
#      returns nothing even when nothing protects the data proves nothing,
#      and fails here.
# Prints "adversarial: N passed, M failed" (one test per attack section,
# one positive control per attack section, plus one per leak scan).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${ADVERSARIAL_OUT:-$(mktemp -d /tmp/pg_privacy_adv.XXXXXX)}
mkdir -p "$out"
rm -f "$out"/a.* "$out"/b.* "$out"/ctl.* "$out"/byp.* "$out"/adv_* "$out"/ctl_* "$out"/byp_*
chmod 755 "$out"
secrets_a=("ADVSECRET-A1B2C3D4" "ADVSECRET-0F1E2D3C" "ADVSECRET-99887766" "ADVSECRET-ABCDEF01")
secrets_b=("ADVSECRET-5E6F7081" "ADVSECRET-F0E1D2C3" "ADVSECRET-12345678" "ADVSECRET-00000001")
psql_su() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# setup DB ROLE UNMASKED S1..S4 builds one database for one attacking role.
setup() {
	local db=$1 role=$2 unmasked=$3
	shift 3
	psql_su -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
	psql_su -d "$db" -v s1="$1" -v s2="$2" -v s3="$3" -v s4="$4" -v attacker="$role" -v unmasked="$unmasked" \
		-f "$here/schema.sql" >"$out/$db.setup.log" 2>&1
}

# attack DB ROLE FILE TAG runs an attack file as ROLE; the control roles'
# names (and their databases' names) are written as the masked role's, so
# that outputs compare on what the attacks observed.
attack() {
	local db=$1 role=$2 file=$3 tag=$4
	psql -X -U "$role" -d "$db" \
		-v g1="${secrets_a[0]}" -v g2="${secrets_a[1]}" -v g3="${secrets_a[2]}" -v g4="${secrets_a[3]}" \
		-v h1="${secrets_b[0]}" -v h2="${secrets_b[1]}" -v h3="${secrets_b[2]}" -v h4="${secrets_b[3]}" \
		-f "$here/$file" 2>&1 |
		# EXPLAIN VERBOSE prints query identifiers, which hash relation OIDs
		# (different in the two databases); they carry no data. Their width
		# also sets the width of the plan's header lines.
		sed -E -e 's/Query Identifier: -?[0-9]+/Query Identifier: N/' -e 's/^ +QUERY PLAN +$/QUERY PLAN/' \
			-e 's/^-+$/----/' -e 's/adv_(control|bypass)/adv_masked/g' -e 's/(ctl|byp)_([ab])/adv_\2/g' >"$out/$db.$tag.out"
}

all_dbs=(adv_a adv_b ctl_a ctl_b byp_a byp_b)
roles=(adv_masked adv_control adv_bypass)
for db in "${all_dbs[@]}"; do psql_su -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
for role in "${roles[@]}"; do psql_su -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1; done
psql_su -d postgres -c "CREATE ROLE adv_masked LOGIN" -c "CREATE ROLE adv_control LOGIN" \
	-c "CREATE ROLE adv_bypass LOGIN BYPASSRLS" >/dev/null
# db_role DB / db_unmasked DB: who attacks DB, and whether it is exempt
db_role() { case $1 in adv_*) echo adv_masked ;; ctl_*) echo adv_control ;; byp_*) echo adv_bypass ;; esac; }
db_unmasked() { case $1 in adv_*) echo false ;; *) echo true ;; esac; }
for db in "${all_dbs[@]}"; do
	if [ "${db#*_}" = a ]; then secrets=("${secrets_a[@]}"); else secrets=("${secrets_b[@]}"); fi
	setup "$db" "$(db_role "$db")" "$(db_unmasked "$db")" "${secrets[@]}" || {
		cat "$out/$db.setup.log"
		echo "adversarial: 0 passed, 1 failed"
		exit 1
	}
done

for db in "${all_dbs[@]}"; do
	role=$(db_role "$db")
	attack "$db" "$role" attacks.sql read
	psql_su -d "$db" -c "GRANT INSERT, UPDATE, DELETE ON adv.person TO $role" >/dev/null
	attack "$db" "$role" attacks_write.sql write
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
# 3. positive controls: each attack section's output for the control role
# (adv_bypass for "[row security]" sections) differs from the masked role's,
# in both databases
for tag in read write; do
	for db in a b; do
		csplit -s -z -f "$out/ctl.$tag.$db." "$out/ctl_$db.$tag.out" '/^== /' '{*}'
		csplit -s -z -f "$out/byp.$tag.$db." "$out/byp_$db.$tag.out" '/^== /' '{*}'
	done
	for a in "$out"/a.$tag.*; do
		name=$(head -1 "$a")
		case $name in "== attack"* | "== write"*) ;; *) continue ;; esac
		case $name in *"[row security]"*) kind=byp ;; *) kind=ctl ;; esac
		ok=yes
		for db in a b; do
			masked=$out/$db.$tag.${a##*.}
			control=
			for piece in "$out"/$kind.$tag.$db.*; do
				if [ "$(head -1 "$piece")" = "$name" ]; then control=$piece; fi
			done
			if [ -z "$control" ] || cmp -s "$masked" "$control"; then
				ok=no
			fi
		done
		if [ $ok = yes ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "adversarial: positive control failed in [$tag] $name: the unmasked control role observed the same as the masked role" >&2
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
for db in "${all_dbs[@]}"; do psql_su -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
for role in "${roles[@]}" adv_control46; do psql_su -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1; done
echo "adversarial: outputs in $out"
echo "adversarial: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
