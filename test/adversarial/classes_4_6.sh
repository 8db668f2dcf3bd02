# classes_4_6.sh: issue 13 classes 4-6 (write-back, keyed-mask oracle, noise
# wrap-around). Sourced by run.sh after its own attacks, with the databases
# adv_a/adv_b set up and $here, $out, psql_su, secrets_a, secrets_b, passed
# and failed defined. For each database: adds schema_classes_4_6.sql, runs
# attacks_classes_4_6.sql as adv_masked and then as the control role
# adv_control46. Counts, per section:
#   masked:  output identical in both databases (nothing observed depends on
#            the data), and no secret of either database in it;
#   control: output different between the databases (the same queries do
#            reach the data for a role allowed to, so the masked result is
#            not an accident of a broken query).
psql_su -d postgres -c "DROP ROLE IF EXISTS adv_control46" >/dev/null 2>&1
psql_su -d postgres -c "CREATE ROLE adv_control46 LOGIN" >/dev/null
c46_ok=1
for db in adv_a adv_b; do
	if [ "$db" = adv_a ]; then s=("${secrets_a[@]}"); else s=("${secrets_b[@]}"); fi
	psql_su -d "$db" -v s1="${s[0]}" -v s2="${s[1]}" -v s3="${s[2]}" -v s4="${s[3]}" \
		-f "$here/schema_classes_4_6.sql" >"$out/$db.c46setup.log" 2>&1 || c46_ok=0
done
if [ "$c46_ok" -eq 0 ]; then
	failed=$((failed + 1))
	echo "adversarial: setup of classes 4-6 failed" >&2
	cat "$out"/adv_*.c46setup.log >&2
else
	for role in adv_masked adv_control46; do
		for db in adv_a adv_b; do
			# control outputs are named ctl_* so that run.sh's leak scan of
			# adv_* files never looks at them (the control sees real values)
			if [ "$role" = adv_masked ]; then file=$out/$db.c46.out; else file=$out/ctl_$db.c46.out; fi
			psql -X -U "$role" -d "$db" \
				-v g1="${secrets_a[0]}" -v g2="${secrets_a[1]}" -v g3="${secrets_a[2]}" -v g4="${secrets_a[3]}" \
				-v h1="${secrets_b[0]}" -v h2="${secrets_b[1]}" -v h3="${secrets_b[2]}" -v h4="${secrets_b[3]}" \
				-f "$here/attacks_classes_4_6.sql" >"$file" 2>&1
		done
	done
	for kind in masked control; do
		if [ "$kind" = masked ]; then fa=$out/adv_a.c46.out fb=$out/adv_b.c46.out; else fa=$out/ctl_adv_a.c46.out fb=$out/ctl_adv_b.c46.out; fi
		rm -f "$out"/c46.a.* "$out"/c46.b.*
		csplit -s -z -f "$out/c46.a." "$fa" '/^== /' '{*}'
		csplit -s -z -f "$out/c46.b." "$fb" '/^== /' '{*}'
		for a in "$out"/c46.a.*; do
			b=$out/c46.b.${a##*.}
			name=$(head -1 "$a")
			[ "$name" = "== end" ] && continue
			case "$name" in "== "*) ;; *) continue ;; esac
			same=0
			[ -f "$b" ] && cmp -s "$a" "$b" && same=1
			if [ "$kind" = masked ] && [ "$same" -eq 1 ]; then
				passed=$((passed + 1))
			elif [ "$kind" = control ] && [ "$same" -eq 0 ]; then
				passed=$((passed + 1))
			else
				failed=$((failed + 1))
				if [ "$kind" = masked ]; then
					echo "adversarial: output differs between databases in [classes 4-6] $name" >&2
					diff "$a" "$b" | head -20 >&2
				else
					echo "adversarial: positive control saw no data in [classes 4-6] $name" >&2
				fi
			fi
		done
	done
	# no secret of either database in what the masked role saw
	for secret in "${secrets_a[@]}" "${secrets_b[@]}"; do
		if grep -l -- "$secret" "$out"/adv_a.c46.out "$out"/adv_b.c46.out >/dev/null 2>&1; then
			failed=$((failed + 1))
			echo "adversarial: a secret appears in the masked output of classes 4-6" >&2
		fi
	done
	passed=$((passed + 1))
fi
psql_su -d adv_a -c "DROP OWNED BY adv_control46" >/dev/null 2>&1
psql_su -d adv_b -c "DROP OWNED BY adv_control46" >/dev/null 2>&1
