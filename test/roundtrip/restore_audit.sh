#!/usr/bin/env bash
# restore_audit.sh (issue 21): pg_restore adds no audit rows for the
# restoring user. The policy catalog tables are extension configuration
# tables: pg_restore loads them with COPY FROM after CREATE EXTENSION, and
# their audit trigger logged every restored row a second time (the restored
# privacy.audit_log already holds their history). A superuser's COPY FROM
# into pg_privacy's catalog is not logged again; everything else still is
# (positive controls: a superuser's INSERT, an administrator's COPY FROM).
# Needs PGHOST/PGPORT (PGUSER: the superuser) of a running cluster
# preloading pg_privacy with privacy.master_key_file set.
# Prints "restore-audit: N passed, M failed".
set -uo pipefail
export PGUSER=${PGUSER:-postgres}
work=$(mktemp -d /tmp/pg_privacy_rt_audit.XXXXXX)
chmod 755 "$work"
passed=0
failed=0
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "restore-audit: $1: expected [$2], got [$3]" >&2
	fi
}
for d in rt_audit_src rt_audit_dst; do q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1; done
q -d postgres -c "DROP ROLE IF EXISTS rt_audit_admin" >/dev/null 2>&1
q -d postgres -c "CREATE DATABASE rt_audit_src" -c "CREATE ROLE rt_audit_admin" >/dev/null
q -d rt_audit_src >/dev/null <<'SQL'
CREATE EXTENSION pg_privacy;
SELECT privacy.setup_roles();
GRANT privacy_admin TO rt_audit_admin;
SELECT privacy.create_key('default');
CREATE TABLE customer (id int, email text, subject text, created timestamptz);
SELECT privacy.mask_column('customer', 'email', 'privacy.mask_email(email)');
SELECT privacy.create_purpose('marketing', 'newsletters');
SELECT privacy.require_consent('customer', 'subject', 'marketing');
SELECT privacy.set_retention('customer', 'created', '30 days');
SELECT privacy.place_hold('customer', 'id = 1', 'litigation');
SELECT privacy.classify('customer', 'email', 'email');
SQL
audit() { q -d "$1" -c "SELECT count(*) || ':' || md5(string_agg(concat_ws('|', role_name, action, object, old_definition, new_definition), ',' ORDER BY logged_at, action, object, new_definition)) FROM privacy.audit_log"; }
src_audit=$(audit rt_audit_src)
pg_dump -Fc -f "$work/src.dump" rt_audit_src
q -d postgres -c "CREATE DATABASE rt_audit_dst" >/dev/null
pg_restore -d rt_audit_dst "$work/src.dump" 2>"$work/restore.log"
check "pg_restore reported no error" "0" "$(grep -c ERROR "$work/restore.log")"
check "policies restored" "1|1|1" \
	"$(q -d rt_audit_dst -c "SELECT (SELECT count(*) FROM privacy.column_policies) || '|' || (SELECT count(*) FROM privacy.retention_policies) || '|' || (SELECT count(*) FROM privacy.legal_holds)")"
check "the restored audit log is the source's, with no row added for the restore" "$src_audit" "$(audit rt_audit_dst)"
# positive controls: changes after the restore are audited as before
n=$(q -d rt_audit_dst -c "SELECT count(*) FROM privacy.audit_log")
q -d rt_audit_dst -c "SELECT privacy.create_purpose('direct', 'x')" >/dev/null
check "a superuser's change to the catalog is audited" "$((n + 1))" "$(q -d rt_audit_dst -c "SELECT count(*) FROM privacy.audit_log")"
q -d rt_audit_dst -c "SELECT privacy.create_token_format('adm', 'ABCDEFGHIJ', 'default')" >/dev/null
q -d rt_audit_dst -c "COPY (SELECT * FROM privacy._token_format WHERE name = 'adm') TO STDOUT" >"$work/fmt.copy"
q -d rt_audit_dst -c "DELETE FROM privacy._token_format WHERE name = 'adm'" >/dev/null
n=$(q -d rt_audit_dst -c "SELECT count(*) FROM privacy.audit_log")
q -d rt_audit_dst -c "SET ROLE rt_audit_admin" -c "COPY privacy._token_format FROM STDIN" <"$work/fmt.copy"
check "an administrator's COPY FROM into the catalog is audited" "$((n + 1))|insert token_format|rt_audit_admin" \
	"$(q -d rt_audit_dst -c "SELECT count(*) || (SELECT '|' || action || '|' || role_name FROM privacy.audit_log ORDER BY logged_at DESC LIMIT 1) FROM privacy.audit_log")"

for d in rt_audit_src rt_audit_dst; do q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1; done
q -d postgres -c "DROP ROLE IF EXISTS rt_audit_admin" >/dev/null 2>&1
rm -rf "$work"
echo "restore-audit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
