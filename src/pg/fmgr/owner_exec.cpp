// owner_exec.cpp: the SQL face of catalog/owner_exec (statements run as a
// table's owner) and of the retention locks.
//
//  privacy._exec_as_owner(tbl, statement, VARIADIC args)  runs one statement
//      pg_privacy built as the owner of tbl (restricted, pinned
//      search_path); returns the rows processed.
//  privacy._value_as_owner(tbl, query, VARIADIC args)     the same for a
//      query; returns the first column of the first row as text.
//  privacy._retention_lock(tbl, kind, shared, session, wait) and
//  privacy._retention_unlock(tbl, kind)  the locks that serialize legal
//      holds with purge batches (kind 1) and own a purge run (kind 2). Their
//      tag is an object lock whose class is pg_privacy's own catalog table
//      privacy._retention_policy: no SQL function and no DDL can request it,
//      so no other role can hold it and stall retention (unlike advisory
//      locks, which any role can take).
// All four are internal: not executable by PUBLIC, and they refuse callers
// that are not superusers (pg_privacy's SECURITY DEFINER functions, owned by
// the extension owner, and the purge worker).
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/owner_exec.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

namespace privacy::pg {

namespace {

// RequireInternalCaller raises 42501 (with `denied`, a whole message)
// unless the current user is a superuser.
void
RequireInternalCaller(const char *denied) {
	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", _(denied)),
		                errdetail("This is an internal function of pg_privacy.")));
}

// RunFromArgs implements _exec_as_owner and _value_as_owner.
Datum
RunFromArgs(FunctionCallInfo fcinfo, bool want_value) {
	RequireInternalCaller(gettext_noop("permission denied to run statements as a table owner"));
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("table and statement must not be null")));
	if (get_fn_expr_variadic(fcinfo->flinfo))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("parameters must be passed as separate arguments, not as a VARIADIC "
		                       "array")));
	Oid relid = PG_GETARG_OID(0);
	char *sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int nargs = PG_NARGS() - 2;
	Oid *types = (Oid *)palloc0(sizeof(Oid) * (nargs > 0 ? nargs : 1));
	Datum *values = (Datum *)palloc0(sizeof(Datum) * (nargs > 0 ? nargs : 1));
	bool *nulls = (bool *)palloc0(sizeof(bool) * (nargs > 0 ? nargs : 1));
	for (int i = 0; i < nargs; i++) {
		types[i] = get_fn_expr_argtype(fcinfo->flinfo, i + 2);
		if (!OidIsValid(types[i]))
			elog(ERROR, "could not determine the type of parameter %d", i + 1);
		if (types[i] == UNKNOWNOID)
			elog(ERROR, "parameter %d of a pg_privacy statement has no type", i + 1);
		nulls[i] = PG_ARGISNULL(i + 2);
		values[i] = nulls[i] ? (Datum)0 : PG_GETARG_DATUM(i + 2);
	}
	char *value = NULL;
	uint64 processed =
	        RunAsTableOwner(relid, sql, nargs, types, values, nulls, want_value ? &value : NULL);
	if (!want_value)
		PG_RETURN_INT64((int64)processed);
	if (value == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(value));
}

Datum
ExecAsOwnerImpl(FunctionCallInfo fcinfo) {
	return RunFromArgs(fcinfo, false);
}

Datum
ValueAsOwnerImpl(FunctionCallInfo fcinfo) {
	return RunFromArgs(fcinfo, true);
}

// RetentionLockTag fills the lock tag of (tbl, kind).
void
RetentionLockTag(LOCKTAG *tag, Oid relid, int kind) {
	Oid policy_table = RequirePrivacyTable("_retention_policy");
	if (kind != 1 && kind != 2)
		elog(ERROR, "unknown retention lock kind %d", kind);
	SET_LOCKTAG_OBJECT(*tag, MyDatabaseId, policy_table, relid, kind);
}

// RetentionLockImpl implements privacy._retention_lock(tbl, kind, shared,
// session, wait): true when the lock was acquired (always, with wait).
Datum
RetentionLockImpl(FunctionCallInfo fcinfo) {
	RequireInternalCaller(gettext_noop("permission denied to take retention locks"));
	LOCKTAG tag;
	RetentionLockTag(&tag, PG_GETARG_OID(0), PG_GETARG_INT32(1));
	LOCKMODE mode = PG_GETARG_BOOL(2) ? ShareLock : ExclusiveLock;
	bool session = PG_GETARG_BOOL(3);
	bool wait = PG_GETARG_BOOL(4);
	LockAcquireResult result = LockAcquire(&tag, mode, session, !wait);
	PG_RETURN_BOOL(result != LOCKACQUIRE_NOT_AVAIL);
}

// RetentionUnlockImpl implements privacy._retention_unlock(tbl, kind):
// releases the session lock of a run (false when it was not held, e.g.
// after an abort released it).
Datum
RetentionUnlockImpl(FunctionCallInfo fcinfo) {
	RequireInternalCaller(gettext_noop("permission denied to take retention locks"));
	LOCKTAG tag;
	RetentionLockTag(&tag, PG_GETARG_OID(0), PG_GETARG_INT32(1));
	if (!LockHeldByMe(&tag, ExclusiveLock))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(LockRelease(&tag, ExclusiveLock, true));
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(_exec_as_owner, privacy::pg::ExecAsOwnerImpl)
PRIVACY_FUNCTION(_value_as_owner, privacy::pg::ValueAsOwnerImpl)
PRIVACY_FUNCTION(_retention_lock, privacy::pg::RetentionLockImpl)
PRIVACY_FUNCTION(_retention_unlock, privacy::pg::RetentionUnlockImpl)
