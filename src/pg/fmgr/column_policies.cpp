// column_policies.cpp: the C parts of the column-policy API.
//
//  privacy.mask_column(tbl, col, mask)  parses and validates the mask with
//      the caller's search_path, stores its canonical (fully qualified)
//      text through privacy._store_column_policy(), and invalidates plans.
//  privacy.anonymize_table(tbl)         static masking: one UPDATE that
//      rewrites every masked column with its mask, evaluated on raw values.
//  privacy._invalidate_policies(tbl)    relcache invalidation of a table and
//      its descendants (NULL: every relation), used by the SQL API.
//  privacy._check_policy_admin(action)  the one privilege check of the
//      policy API.
// Errors name tables and columns, never values.
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/keyed_masks.hpp"
#include "pg/catalog/legal_holds.hpp"
#include "pg/catalog/owner_exec.hpp"
#include "pg/catalog/policy_target.hpp"
#include "pg/catalog/privileges.hpp"
#include "pg/hooks/caller_identity.hpp"
#include "pg/catalog/stored_expressions.hpp"
#include "pg/hooks/planner.hpp"
#include "pg/module.hpp"

extern "C" {
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace privacy::pg {

namespace {

// MaskColumnImpl implements privacy.mask_column(regclass, name, text).
Datum
MaskColumnImpl(FunctionCallInfo fcinfo) {
	RequirePreload(gettext_noop("column masking requires pg_privacy in shared_preload_libraries"));
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("table, column and mask of a masking policy must not be null")));
	Oid relid = PG_GETARG_OID(0);
	Name column = PG_GETARG_NAME(1);
	char *mask = text_to_cstring(PG_GETARG_TEXT_PP(2));

	CheckPolicyAdmin("declare masking policies", relid);
	CheckPolicyTarget(relid, PolicyKind::kMasking);
	CheckFamilyRoot(relid, "mask columns of");
	LockRelationOid(relid, ShareRowExclusiveLock);
	AttrNumber attnum = get_attnum(relid, NameStr(*column));
	if (attnum == InvalidAttrNumber)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
		                errmsg("column \"%s\" of relation \"%s\" does not exist", NameStr(*column),
		                       get_rel_name(relid))));
	if (attnum < 0)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("cannot mask system column \"%s\"", NameStr(*column))));

	char *canonical = ValidatePolicyExpression(relid, attnum, mask, "mask expression", false);

	Oid types[4] = {REGCLASSOID, NAMEOID, TEXTOID, TEXTOID};
	Datum values[4] = {ObjectIdGetDatum(relid), NameGetDatum(column),
	                   CStringGetTextDatum(canonical), CStringGetTextDatum(mask)};
	CallInternalWriter("_store_column_policy", 4, types, values, NULL);
	PG_RETURN_VOID();
}

// AnonymizeTableImpl implements privacy.anonymize_table(regclass): one
// UPDATE setting every masked column to its mask of the raw row.
Datum
AnonymizeTableImpl(FunctionCallInfo fcinfo) {
	Oid relid = PG_GETARG_OID(0);
	CheckPolicyAdmin("anonymize tables", relid);
	CheckPolicyTarget(relid, PolicyKind::kMasking);
	const GovernedRel *rel = LookupGovernedRel(relid);
	if (rel == NULL)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
		                errmsg("table \"%s\" has no masking policy", get_rel_name(relid))));

	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(&sql, "UPDATE %s SET ",
	                 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
	                                            get_rel_name(relid)));
	int nset = 0;
	for (int i = 0; i < rel->ncolumns; i++) {
		// issue 18: a generated column is recomputed from its (anonymized)
		// sources; category, default-deny and lineage masks are resolved
		// with the fixed search_path, as at plan time
		if (get_attgenerated(relid, rel->columns[i].attnum) != '\0')
			continue;
		int level = rel->columns[i].kind != 'm' ? RunWithFixedSearchPath() : -1;
		// the one validator again, for work run as the table's owner
		const MaskedColumn *col = &rel->columns[i];
		const char *text = col->mask_text;
		if (col->stored) {
			text = StoredExpressionText(col->mask_function);
			if (text == NULL) // dropped with something it used: fail closed
				(void)LoadStoredExpression(col->mask_function, relid, col->attnum,
				                           "mask expression");
		}
		char *mask = ValidatePolicyExpression(relid, col->attnum, text, "mask expression", true);
		if (level >= 0)
			RestoreSearchPath(level);
		appendStringInfo(&sql, "%s%s = (%s)", nset++ > 0 ? ", " : "",
		                 quote_identifier(NameStr(col->column)), mask);
	}

	// The masks are canonical text for search_path = pg_catalog, pg_temp and
	// read raw values; the UPDATE runs as the table's owner, restricted, so
	// its triggers and the functions the masks call have the owner's rights
	// (never the caller's), and what they plan is masked for the owner.
	uint64 processed = RunAsTableOwner(relid, sql.data, 0, NULL, NULL, NULL, NULL);
	PG_RETURN_INT64((int64)processed);
}

// AnalyzeMaskImpl implements privacy._analyze_mask(tbl, col, mask,
// table_work): the validator applied again to a stored mask, by the catalog
// writer and (table_work) before pg_privacy's own table work splices it into
// a statement (a function it calls may have changed owner since); returns
// the canonical text.
Datum
AnalyzeMaskImpl(FunctionCallInfo fcinfo) {
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("table, column and mask must not be null")));
	Oid relid = PG_GETARG_OID(0);
	AttrNumber attnum = get_attnum(relid, NameStr(*PG_GETARG_NAME(1)));
	if (attnum <= 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
		                errmsg("column \"%s\" of relation \"%s\" does not exist",
		                       NameStr(*PG_GETARG_NAME(1)), get_rel_name(relid))));
	char *canonical = ValidatePolicyExpression(relid, attnum, text_to_cstring(PG_GETARG_TEXT_PP(2)),
	                                           "mask expression", PG_GETARG_BOOL(3));
	PG_RETURN_TEXT_P(cstring_to_text(canonical));
}

// InvalidatePoliciesImpl implements privacy._invalidate_policies(regclass).
// Besides the table family it invalidates privacy._column_policy itself:
// that is the signal every backend's policy cache listens to (a backend that
// never looked at this table has no entry that the table's own invalidation
// would hit).
Datum
InvalidatePoliciesImpl(FunctionCallInfo fcinfo) {
	Oid policy_table = PrivacyTable("_column_policy");
	if (OidIsValid(policy_table))
		CacheInvalidateRelcacheByRelid(policy_table);
	if (PG_ARGISNULL(0)) {
		CacheInvalidateRelcacheAll();
		PG_RETURN_VOID();
	}
	Oid relid = PG_GETARG_OID(0);
	if (get_rel_relkind(relid) == '\0') {
		CacheInvalidateRelcacheAll();
		PG_RETURN_VOID();
	}
	List *family = find_all_inheritors(relid, NoLock, NULL);
	ListCell *lc;
	foreach (lc, family)
		CacheInvalidateRelcacheByRelid(lfirst_oid(lc));
	PG_RETURN_VOID();
}

// CheckPolicyAdminImpl implements privacy._check_policy_admin(text, regclass).
Datum
CheckPolicyAdminImpl(FunctionCallInfo fcinfo) {
	const char *action =
	        PG_ARGISNULL(0) ? "manage privacy policies" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid relid = PG_NARGS() > 1 && !PG_ARGISNULL(1) ? PG_GETARG_OID(1) : InvalidOid;
	CheckPolicyAdmin(action, relid);
	PG_RETURN_VOID();
}

// OuterUserImpl implements privacy._outer_user(): the role that called the
// API (CallerUserId: the role the session runs as, or the owner of the
// SECURITY DEFINER function that called), recorded as "declared by" and
// checked by the SQL-level privilege checks.
Datum
OuterUserImpl(FunctionCallInfo fcinfo) {
	Name result = (Name)palloc0(NAMEDATALEN);
	namestrcpy(result, GetUserNameFromId(CallerUserId(), false));
	PG_RETURN_NAME(result);
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(mask_column, privacy::pg::MaskColumnImpl)
PRIVACY_FUNCTION(anonymize_table, privacy::pg::AnonymizeTableImpl)
PRIVACY_FUNCTION(_analyze_mask, privacy::pg::AnalyzeMaskImpl)
PRIVACY_FUNCTION(_invalidate_policies, privacy::pg::InvalidatePoliciesImpl)
PRIVACY_FUNCTION(_check_policy_admin, privacy::pg::CheckPolicyAdminImpl)
PRIVACY_FUNCTION(_outer_user, privacy::pg::OuterUserImpl)
