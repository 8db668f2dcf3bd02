# checks_subjects.sh (sourced by checks.sh, after the retention checks):
# legal holds, erase_subject and export_subject across distributed tables.
# Hold guards are triggers on the shards (citus.enable_unsafe_triggers);
# erasure and purges select rows by predicate on the coordinator; exports
# read the subject's rows by subject column (a shard's row ids repeat on
# every shard).

su "$C" citus_test "SELECT privacy.register_subject('public.contacts', 'subject')"
su "$C" citus_test "SELECT privacy.register_subject('public.events', 'subject')"
# exports: only the subject's rows, though their row ids repeat on shards
check "positive control: a row id of subject 5 is found on several shards" "t" \
	"$(q "$C" '' "SELECT count(*) > 1 FROM public.contacts WHERE ctid = (SELECT ctid FROM public.contacts WHERE subject = 5)")"
check "export_subject on a distributed table: exactly the subject's rows" "1|5" \
	"$(q "$C" '' "SELECT jsonb_array_length(e -> 'public.contacts') || '|' || (e -> 'public.contacts' -> 0 ->> 'subject') FROM privacy.export_subject('5') e")"
check "export_subject: every returned row is the subject's" "0" \
	"$(q "$C" '' "SELECT count(*) FROM privacy.export_subject('6') e, jsonb_array_elements(e -> 'public.contacts') r WHERE r ->> 'subject' <> '6'")"

# a legal hold on a distributed table: the guard triggers live on the shards
check "place_hold on a distributed table" "t" \
	"$(q "$C" '' "SET citus.enable_unsafe_triggers = on; SELECT privacy.place_hold('public.contacts', 'subject = 7', 'lawsuit') > 0")"
check "a held row cannot be deleted through the coordinator" "ERROR:  cannot delete a row of public.contacts_" \
	"$(q "$C" '' "DELETE FROM public.contacts WHERE subject = 7" | head -1 | grep -o '^ERROR:  cannot delete a row of public.contacts_')"
check "a held row cannot be deleted directly on either worker" "2" \
	"$(for h in "$W1" "$W2"; do q "$h" '' "DELETE FROM public.contacts WHERE subject = 7"; done | grep -c 'under legal hold')"
check "erase_subject keeps the held subject's rows and reports the hold" "0|1|lawsuit" \
	"$(q "$C" '' "SELECT (t ->> 'deleted') || '|' || (t ->> 'held_back') || '|' || (t -> 'holds' -> 0 ->> 'reason') FROM privacy.erase_subject('7') e, jsonb_array_elements(e -> 'tables') t WHERE t ->> 'table' = 'public.contacts'")"
# (a statement that also reads a distributed table would be planned by
# Citus and could run erase_subject on a worker, where no subject table is
# registered: it fails there)
check "erase_subject deletes an unheld subject's rows on the shards" "1|0" \
	"$(q "$C" '' "SELECT (t ->> 'deleted') FROM privacy.erase_subject('8') e, jsonb_array_elements(e -> 'tables') t WHERE t ->> 'table' = 'public.contacts'")|$(q "$C" '' "SELECT count(*) FROM public.contacts WHERE subject = 8")"
check "positive control: the held subject's row is still there" "1" \
	"$(q "$C" '' "SELECT count(*) FROM public.contacts WHERE subject = 7")"

# the purge of a distributed table keeps held expired rows
su "$C" citus_test "INSERT INTO public.events SELECT g, g, 'x', now() - interval '30 days' FROM generate_series(50, 55) g"
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.place_hold('public.events', 'subject = 50', 'audit')"
check "purge_now on a distributed table with a hold: done" "time_slice|done|5" \
	"$(q "$C" '' "SELECT method || '|' || status || '|' || rows_purged FROM privacy.purge_now('public.events')")"
check "only the held expired row is left" "50" \
	"$(q "$C" '' "SELECT string_agg(subject::text, ',') FROM public.events WHERE created_at < now() - interval '20 days'")"

# hiding expired rows (a row policy) on a distributed table
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.hide_expired('public.events')"
check "hide_expired: the held expired row is hidden through the coordinator" "0" \
	"$(q "$C" ct_masked "SELECT count(*) FROM public.events WHERE subject = 50")"
check "hide_expired: hidden directly on a worker too" "0" \
	"$(q "$W1" ct_masked "SELECT count(*) FROM public.events WHERE subject = 50")"
check "positive control: unexpired rows stay visible, the superuser sees the expired one" "t|1" \
	"$(q "$C" ct_masked "SELECT count(*) > 0 FROM public.events")|$(q "$C" '' "SELECT count(*) FROM public.events WHERE subject = 50")"

# erasure by anonymization applies the masks on the shards
check "erase_subject(..., 'anonymize') on a distributed table" "1|u*****@example.com" \
	"$(q "$C" '' "SELECT t ->> 'anonymized' FROM privacy.erase_subject('2', 'anonymize') e, jsonb_array_elements(e -> 'tables') t WHERE t ->> 'table' = 'public.events'")|$(q "$C" '' "SELECT email FROM public.events WHERE subject = 2")"
# a keyed (STABLE) mask cannot be applied in a distributed UPDATE
su "$C" citus_test "SET citus.enable_unsafe_triggers = on; SELECT privacy.mask_column('public.contacts', 'phone', 'privacy.pseudonym(phone)')"
check "anonymizing with a keyed mask is refused by Citus (not silently skipped)" \
	"ERROR:  STABLE functions used in UPDATE queries cannot be called with column references" \
	"$(q "$C" '' "SELECT privacy.erase_subject('9', 'anonymize')" | head -1)"
check "positive control: nothing of the subject was changed" "555-9" \
	"$(q "$C" '' "SELECT phone FROM public.contacts WHERE subject = 9")"
