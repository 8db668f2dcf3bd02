// retention.cpp: the C part of the retention API.
//
//  privacy._analyze_hold_condition(tbl, condition)  validates a legal-hold
//      condition with the validator of masks and row filters
//      (ValidatePolicyExpression: one expression, no subquery, aggregate,
//      window, set-returning or volatile function, no system column or
//      whole-row reference, only functions owned by superusers or policy
//      administrators - only superusers' on a superuser's table, since
//      holds are evaluated as the table's owner), boolean, and returns its
//      canonical text: deparsed
//      from the analyzed tree with every name not in pg_catalog
//      schema-qualified. Only that text ever reaches a purge statement; the
//      text a user typed is never spliced into SQL.
// Errors name tables, never values.
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/column_policies.hpp"

extern "C" {
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

namespace privacy::pg {

namespace {

// AnalyzeHoldConditionImpl implements privacy._analyze_hold_condition: the
// one validator of declared expressions (ValidatePolicyExpression, with its
// trust check) applied to a legal-hold condition.
Datum
AnalyzeHoldConditionImpl(FunctionCallInfo fcinfo) {
	Oid relid = PG_GETARG_OID(0);
	char *condition = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
	char *canonical = ValidatePolicyExpression(relid, InvalidAttrNumber, condition, "hold condition", true);
	PG_RETURN_TEXT_P(cstring_to_text(canonical));
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(_analyze_hold_condition, privacy::pg::AnalyzeHoldConditionImpl)
