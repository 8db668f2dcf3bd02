# checks_tokens.sh (sourced by checks.sh): one masking secret and one set of
# data keys on every node (copied from the coordinator, wrapped keys and the
# secret row as stored), tokenize/detokenize on the shards, tokenizing a
# column in place.

# the same pseudonym on every node
pc=$(q "$C" '' "SELECT privacy.pseudonym('alice@example.com')")
check "pseudonym is the same on the coordinator and both workers" "$pc $pc $pc" \
	"$pc $(q "$W1" '' "SELECT privacy.pseudonym('alice@example.com')") $(q "$W2" '' "SELECT privacy.pseudonym('alice@example.com')")"
check "positive control: the pseudonym depends on the value" "t" \
	"$(q "$C" '' "SELECT privacy.pseudonym('bob@example.com') <> '$pc'")"
# a rotated secret reaches the workers at commit
su "$C" citus_test "SELECT privacy.rotate_masking_secret()"
pr=$(q "$C" '' "SELECT privacy.pseudonym('alice@example.com')")
check "after rotate_masking_secret: a new pseudonym, the same on every node" "t $pr $pr" \
	"$([ "$pr" != "$pc" ] && echo t || echo f) $(q "$W1" '' "SELECT privacy.pseudonym('alice@example.com')") $(q "$W2" '' "SELECT privacy.pseudonym('alice@example.com')")"
check "the masking secret is stored alike on every node" "t" \
	"$(q "$C" '' "SELECT count(DISTINCT x) = 1 FROM (SELECT md5(secret::text) x FROM privacy._masking_secret UNION ALL SELECT result FROM run_command_on_workers('SELECT md5(secret::text) FROM privacy._masking_secret')) s")"

# tokenize on the shards: the same token for a value on every node (the
# data key is created on the coordinator and copied, wrapped, at commit)
su "$C" citus_test "SELECT privacy.create_key('default')"
check "the wrapped data key is stored alike on every node" "t|3" \
	"$(q "$C" '' "SELECT count(DISTINCT x) = 1 AND count(*) = 3 FROM (SELECT md5(wrapped::text) x FROM privacy._key WHERE name = 'default' UNION ALL SELECT result FROM run_command_on_workers(\$\$SELECT md5(wrapped::text) FROM privacy._key WHERE name = 'default'\$\$)) s" | sed 's/^t$/t|3/')"
tc=$(q "$C" '' "SELECT privacy.tokenize('4111 1111 1111 1111', 'card')")
check "tokenize gives the same token on the coordinator and both workers" "$tc $tc $tc" \
	"$(echo "$tc" | grep -E '^[0-9]{4} [0-9]{4} [0-9]{4} 1111$' | grep -v '^4111 1111 1111') $(q "$W1" '' "SELECT privacy.tokenize('4111 1111 1111 1111', 'card')") $(q "$W2" '' "SELECT privacy.tokenize('4111 1111 1111 1111', 'card')")"
su "$C" citus_test "CREATE ROLE ct_detok LOGIN"
su "$C" citus_test "CREATE TABLE public.cards (subject int NOT NULL, card text)"
su "$C" citus_test "SELECT create_distributed_table('public.cards', 'subject', shard_count := 4)"
su "$C" citus_test "INSERT INTO public.cards SELECT g, '123-45-' || lpad(g::text, 4, '0') FROM generate_series(1, 12) g"
su "$C" citus_test "GRANT SELECT ON public.cards TO ct_detok, ct_masked"
# Citus refuses a STABLE function over a column in a distributed UPDATE ...
check "UPDATE ... SET c = tokenize(c, ...) on a distributed table is refused by Citus" \
	"ERROR:  STABLE functions used in UPDATE queries cannot be called with column references" \
	"$(q "$C" '' "UPDATE public.cards SET card = privacy.tokenize(card, 'ssn')" | head -1)"
# ... the workable path: the same UPDATE on every shard, run on its worker
check "tokenizing in place with run_command_on_shards: every shard succeeds" "4|4" \
	"$(q "$C" '' "SELECT count(*) || '|' || count(*) FILTER (WHERE success) FROM run_command_on_shards('public.cards', \$\$UPDATE %s SET card = privacy.tokenize(card, 'ssn')\$\$)")"
check "every value is now the token the coordinator computes for it" "12" \
	"$(q "$C" '' "SELECT count(*) FROM public.cards WHERE card = privacy.tokenize('123-45-' || lpad(subject::text, 4, '0'), 'ssn') AND card <> '123-45-' || lpad(subject::text, 4, '0')")"
# INSERT ... SELECT tokenizes on the coordinator
su "$C" citus_test "INSERT INTO public.cards SELECT 100 + g, privacy.tokenize('987-65-' || lpad(g::text, 4, '0'), 'ssn') FROM generate_series(1, 3) g"
# detokenize on the shards, by a granted role only
su "$C" citus_test "SELECT privacy.grant_detokenize('ct_detok', 'ssn')"
check "granted role detokenizes on the shards (multi-shard)" "12" \
	"$(q "$C" ct_detok "SELECT count(*) FROM public.cards WHERE subject <= 12 AND privacy.detokenize(card, 'ssn') = '123-45-' || lpad(subject::text, 4, '0')")"
check "granted role detokenizes a router lookup" "987-65-0002" \
	"$(q "$C" ct_detok "SELECT privacy.detokenize(card, 'ssn') FROM public.cards WHERE subject = 102")"
check "a role without the grant cannot detokenize on the shards" "ERROR:  permission denied to detokenize format \"ssn\"" \
	"$(q "$C" ct_masked "SELECT privacy.detokenize(card, 'ssn') FROM public.cards WHERE subject = 102" | grep -m1 -o 'ERROR: .*"ssn"')"
su "$C" citus_test "SELECT privacy.revoke_detokenize('ct_detok', 'ssn')"
check "a revoked grant reaches the workers at commit" "ERROR:  permission denied to detokenize format \"ssn\"" \
	"$(q "$C" ct_detok "SELECT privacy.detokenize(card, 'ssn') FROM public.cards WHERE subject = 102" | grep -m1 -o 'ERROR: .*"ssn"')"
# the detokenizations ran on the workers: they are recorded there and read
# in one place on the coordinator
for h in "$W1" "$W2"; do q "$h" '' "SELECT privacy.audit_wait('20 seconds')" >/dev/null; done
check "detokenizations on the shards are in the audit log gathered on the coordinator" "true|true" \
	"$(q "$C" '' "SELECT (sum(value_count) FILTER (WHERE role_name = 'ct_detok' AND format = 'ssn') >= 13) || '|' || bool_and(node <> 'coordinator') FILTER (WHERE role_name = 'ct_detok' AND format = 'ssn') FROM privacy.citus_audit_log()")"
check "they were moved into the coordinator's own log, each naming the worker that ran it" "true|true" \
	"$(q "$C" '' "SELECT (sum(value_count) >= 13) || '|' || bool_and(object LIKE 'citus node %') FROM privacy.audit_log WHERE role_name = 'ct_detok' AND format = 'ssn'")"
check "the workers' logs hold no detokenization any more" "0 0" \
	"$(q "$W1" '' "SELECT count(*) FROM privacy.audit_log WHERE action = 'detokenize'") $(q "$W2" '' "SELECT count(*) FROM privacy.audit_log WHERE action = 'detokenize'")"
# exactly once: one detokenization on one shard is one row of the
# coordinator's log, however often the records are collected
su "$C" citus_test "CREATE ROLE ct_detok_once LOGIN"
su "$C" citus_test "GRANT SELECT ON public.cards TO ct_detok_once"
su "$C" citus_test "SELECT privacy.grant_detokenize('ct_detok_once', 'ssn')"
check "a router detokenization by a granted role" "987-65-0001" \
	"$(q "$C" ct_detok_once "SELECT privacy.detokenize(card, 'ssn') FROM public.cards WHERE subject = 101")"
for h in "$W1" "$W2"; do q "$h" '' "SELECT privacy.audit_wait('20 seconds')" >/dev/null; done
once_node="$(holder cards 101):$PGPORT"
check "it is recorded on the worker that ran it, not yet on the coordinator" "1|0" \
	"$(q "$(holder cards 101)" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_detok_once'")|$(q "$C" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_detok_once'")"
check "collected into the coordinator's log: once, naming that worker, after three runs" "1|citus node $once_node|1|0" \
	"$(q "$C" '' "SELECT privacy.citus_collect_audit()" >/dev/null; q "$C" '' "SELECT privacy.citus_collect_audit()" >/dev/null; q "$C" '' "SELECT privacy.citus_collect_audit()" >/dev/null; q "$C" '' "SELECT count(*) || '|' || min(object) || '|' || min(value_count) FROM privacy.audit_log WHERE role_name = 'ct_detok_once'")|$(q "$(holder cards 101)" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_detok_once'")"
check "citus_audit_log shows it once, with the worker as its node" "1|$once_node" \
	"$(q "$C" '' "SELECT count(*) || '|' || min(node) FROM privacy.citus_audit_log() WHERE role_name = 'ct_detok_once'")"
# a run that fails after copying (rolled back) neither loses nor duplicates
su "$C" citus_test "SELECT privacy.revoke_detokenize('ct_detok_once', 'ssn')"
su "$C" citus_test "SELECT privacy.grant_detokenize('ct_detok_once', 'ssn')"
q "$C" ct_detok_once "SELECT privacy.detokenize(card, 'ssn') FROM public.cards WHERE subject = 102" >/dev/null
for h in "$W1" "$W2"; do q "$h" '' "SELECT privacy.audit_wait('20 seconds')" >/dev/null; done
check "a collection rolled back leaves the record on its worker" "1|1" \
	"$(q "$C" '' "BEGIN; SELECT privacy.citus_collect_audit(); ROLLBACK" >/dev/null; q "$C" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_detok_once'")|$(q "$(holder cards 102)" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_detok_once'")"
check "the next runs move it once" "2|0" \
	"$(q "$C" '' "SELECT privacy.citus_collect_audit()" >/dev/null; q "$C" '' "SELECT privacy.citus_collect_audit()" >/dev/null; q "$C" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_detok_once'")|$(q "$(holder cards 102)" '' "SELECT count(*) FROM privacy.audit_log WHERE role_name = 'ct_detok_once'")"
check "citus_collect_audit is for superusers only" "ERROR:  permission denied for function citus_collect_audit" \
	"$(q "$C" ct_detok "SELECT privacy.citus_collect_audit()" | head -1)"
check "citus_audit_log is for superusers only" "ERROR:  permission denied for function citus_audit_log" \
	"$(q "$C" ct_detok "SELECT count(*) FROM privacy.citus_audit_log()" | head -1)"
