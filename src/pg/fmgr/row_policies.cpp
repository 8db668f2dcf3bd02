// row_policies.cpp: the C parts of the row-policy API and the helpers the
// row-security quals call.
//
//  privacy.add_row_filter(tbl, name, condition, roles)  validates the
//      condition like a mask (one expression over the table's columns, no
//      subqueries, volatile or set-returning functions; boolean) with the
//      caller's search_path and stores its canonical text.
//  privacy._consent_allows / _row_exempt  the helpers the quals call; the
//      per-statement part of each decision is cached in fn_extra.
// Errors name tables, columns and purposes, never values.
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/citus.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/keyed_masks.hpp"
#include "pg/catalog/consent_registry.hpp"
#include "pg/catalog/consent_set.hpp"
#include "pg/catalog/legal_holds.hpp"
#include "pg/catalog/policy_target.hpp"
#include "pg/catalog/privileges.hpp"
#include "pg/catalog/purposes.hpp"
#include "pg/catalog/row_policies.hpp"
#include "pg/module.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "executor/nodeHash.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
}

namespace privacy::pg {

namespace {

// CurrentPurpose returns the session's declared purpose, or "".
const char *
CurrentPurpose() {
	const char *value = GetConfigOption("privacy.purpose", true, false);
	return value != NULL ? value : "";
}

// CanonicalRowFilter validates condition against relid and returns its
// canonical text.
char *
CanonicalRowFilter(Oid relid, const char *condition) {
	return ValidatePolicyExpression(relid, InvalidAttrNumber, condition, "row filter", false);
}

// CheckRowPolicyTargetImpl implements privacy._check_row_policy_target().
Datum
CheckRowPolicyTargetImpl(FunctionCallInfo fcinfo) {
	RequirePreload(gettext_noop("row policies require pg_privacy in shared_preload_libraries"));
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("table must not be null")));
	CheckPolicyTarget(PG_GETARG_OID(0), PolicyKind::kRowPolicies);
	CheckFamilyRoot(PG_GETARG_OID(0), "add row policies to");
	// a Citus table's policies are declared on the table and enforced on its
	// shards (doc/scale-out.md); a shard by name is not a policy target
	if (OidIsValid(CitusTableOf(PG_GETARG_OID(0))))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("row policies are declared on the Citus table, not on its shards"),
		                errdetail("Relation \"%s\" is a shard of Citus table \"%s\".",
		                          get_rel_name(PG_GETARG_OID(0)),
		                          get_rel_name(CitusTableOf(PG_GETARG_OID(0)))),
		                errhint("Declare the policy on the Citus table.")));
	PG_RETURN_VOID();
}

// CanonicalRowFilterImpl implements privacy._canonical_row_filter().
Datum
CanonicalRowFilterImpl(FunctionCallInfo fcinfo) {
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("table and condition must not be null")));
	Oid relid = PG_GETARG_OID(0);
	CheckPolicyTarget(relid, PolicyKind::kRowPolicies);
	CheckFamilyRoot(relid, "add row policies to");
	char *canonical = CanonicalRowFilter(relid, text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_TEXT_P(cstring_to_text(canonical));
}

// AddRowFilterImpl implements privacy.add_row_filter().
Datum
AddRowFilterImpl(FunctionCallInfo fcinfo) {
	RequirePreload(gettext_noop("row policies require pg_privacy in shared_preload_libraries"));
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("table, name and condition must not be null")));
	Oid relid = PG_GETARG_OID(0);
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char *condition = text_to_cstring(PG_GETARG_TEXT_PP(2));
	CheckPolicyAdmin("declare row policies", relid);
	CheckPolicyTarget(relid, PolicyKind::kRowPolicies);
	CheckFamilyRoot(relid, "add row policies to");
	if (name[0] == '\0' || strncmp(name, "consent:", 8) == 0 || strlen(name) > 63)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid row filter name"),
		                errdetail("A filter name has 1 to 63 characters and does not start with "
		                          "\"consent:\".")));
	LockRelationOid(relid, ShareRowExclusiveLock);
	char *canonical = CanonicalRowFilter(relid, condition);

	Oid types[5] = {REGCLASSOID, TEXTOID, TEXTOID, TEXTOID, REGROLEARRAYOID};
	Datum values[5] = {ObjectIdGetDatum(relid), CStringGetTextDatum(name),
	                   CStringGetTextDatum(canonical), CStringGetTextDatum(condition),
	                   PG_ARGISNULL(3) ? (Datum)0 : PG_GETARG_DATUM(3)};
	bool nulls[5] = {false, false, false, false, PG_ARGISNULL(3)};
	CallInternalWriter("_store_row_filter", 5, types, values, nulls);
	PG_RETURN_VOID();
}

// GateFor decides, once per statement, what a consent requirement of relid
// for purpose lets through: 1 everything, 2 consenting subjects, 0 nothing.
// declared is the purpose the statement declares (the session's setting,
// or the one carried to this Citus node, citus_purpose.hpp).
int
GateFor(Oid relid, const char *purpose, const char *declared) {
	Oid userid = GetUserId();
	if (ExemptFromRowPolicies(relid, userid))
		return 1;
	if (declared[0] == '\0' || !PurposeUsable(declared, userid))
		return 0;
	return strcmp(declared, purpose) == 0 ? 2 : 1;
}

// ConsentCallCache lives in fn_extra: one per qual per execution of a
// statement (per process: a parallel worker has its own).
struct ConsentCallCache {
	int gate;
	ConsentProbe probe;
};

// DeclaredPurpose returns the purpose this consent check is bound to: the
// carried one of privacy._consent_allows_carried() when the planner placed
// the call (marked like the keyed masks' entry points, keyed_masks.hpp), or
// else the session's setting (a call written by a user carries nothing).
const char *
DeclaredPurpose(FunctionCallInfo fcinfo) {
	if (PG_NARGS() == 4 && CalledFromMaskPolicy(fcinfo))
		return PG_ARGISNULL(3) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(3));
	return CurrentPurpose();
}

// ConsentAllowsImpl implements privacy._consent_allows(regclass, text, text)
// and privacy._consent_allows_carried(regclass, text, text, text).
Datum
ConsentAllowsImpl(FunctionCallInfo fcinfo) {
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_BOOL(false);
	ConsentCallCache *cache = (ConsentCallCache *)fcinfo->flinfo->fn_extra;
	if (cache == NULL) {
		char *purpose = text_to_cstring(PG_GETARG_TEXT_PP(1));
		int gate = GateFor(PG_GETARG_OID(0), purpose, DeclaredPurpose(fcinfo));
		cache = (ConsentCallCache *)MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
		                                                   sizeof(ConsentCallCache));
		cache->gate = gate;
		strlcpy(cache->probe.purpose, purpose, sizeof(cache->probe.purpose));
		cache->probe.context = fcinfo->flinfo->fn_mcxt;
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->gate != 2)
		PG_RETURN_BOOL(cache->gate == 1);
	if (PG_ARGISNULL(2))
		PG_RETURN_BOOL(false);
	text *subject = PG_GETARG_TEXT_PP(2);
	PG_RETURN_BOOL(ConsentCheck(&cache->probe, VARDATA_ANY(subject), VARSIZE_ANY_EXHDR(subject)));
}

// ConsentChangedImpl implements the trigger privacy._consent_changed() of
// 0.1.0 (kept so a 0.1.0 install script still loads; 0.2.0 keeps no consent
// state between statements and has no such trigger).
Datum
ConsentChangedImpl(FunctionCallInfo fcinfo) {
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("privacy._consent_changed() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(((TriggerData *)fcinfo->context)->tg_relation));
	return PointerGetDatum(NULL);
}

// RowExemptImpl implements privacy._row_exempt(regclass), decided once per
// statement (fn_extra).
Datum
RowExemptImpl(FunctionCallInfo fcinfo) {
	bool *cached = (bool *)fcinfo->flinfo->fn_extra;
	if (cached == NULL) {
		bool exempt = ExemptFromRowPolicies(PG_GETARG_OID(0), GetUserId());
		cached = (bool *)MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(bool));
		*cached = exempt;
		fcinfo->flinfo->fn_extra = cached;
	}
	PG_RETURN_BOOL(*cached);
}

} // namespace

int
ConsentGate(Oid relid, const char *purpose, const char *declared) {
	return GateFor(relid, purpose, declared);
}

const char *
SessionPurpose() {
	return CurrentPurpose();
}

} // namespace privacy::pg

PRIVACY_FUNCTION(_check_row_policy_target, privacy::pg::CheckRowPolicyTargetImpl)
PRIVACY_FUNCTION(_canonical_row_filter, privacy::pg::CanonicalRowFilterImpl)
PRIVACY_FUNCTION(add_row_filter, privacy::pg::AddRowFilterImpl)
PRIVACY_FUNCTION(_consent_allows, privacy::pg::ConsentAllowsImpl)
PRIVACY_FUNCTION(_consent_allows_carried, privacy::pg::ConsentAllowsImpl)
PRIVACY_FUNCTION(_consent_changed, privacy::pg::ConsentChangedImpl)
PRIVACY_FUNCTION(_row_exempt, privacy::pg::RowExemptImpl)
