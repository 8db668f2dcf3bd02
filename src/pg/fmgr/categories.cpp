// categories.cpp: the C part of the category API (issue 18).
//
//  privacy._category_mask(tbl, col, mask, check_declarer)  validates the
//      protection bound to a category as the mask of one column, with the
//      validator of privacy.mask_column, and returns its canonical text.
//      With tbl or col NULL it only checks the binding's shape.
// Errors name tables and columns, never values.
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/categories.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/keyed_masks.hpp"
#include "pg/catalog/privileges.hpp"
#include "pg/hooks/caller_identity.hpp"

extern "C" {
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

namespace privacy::pg {

namespace {

// CategoryMaskImpl implements privacy._category_mask(regclass, name, text, boolean).
Datum
CategoryMaskImpl(FunctionCallInfo fcinfo) {
	if (PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("a category protection must not be null")));
	char *mask = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) {
		(void)ExpandCategoryMask(mask, NULL);
		PG_RETURN_TEXT_P(cstring_to_text(mask));
	}
	Oid relid = PG_GETARG_OID(0);
	Name column = PG_GETARG_NAME(1);
	bool check_declarer = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	AttrNumber attnum = get_attnum(relid, NameStr(*column));
	if (attnum <= 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
		                errmsg("column \"%s\" of relation \"%s\" does not exist", NameStr(*column),
		                       get_rel_name(relid))));
	char *expanded = ExpandCategoryMask(mask, NameStr(*column));
	char *canonical = ValidatePolicyExpression(relid, attnum, expanded, "mask expression", false);
	// the planner analyzes the expanded text with search_path = pg_catalog,
	// pg_temp: it must mean what was validated
	Node *fixed = AnalyzeMaskExpression(relid, attnum, expanded, true, NULL);
	Node *here = AnalyzeMaskExpression(relid, attnum, expanded, false, NULL);
	if (!equal(fixed, here))
		ereport(ERROR,
		        (errcode(ERRCODE_AMBIGUOUS_FUNCTION),
		         errmsg("category protection resolves differently without the current search_path"),
		         errhint("Schema-qualify the functions, operators and types it uses.")));
	// a table owner classifying its own table must itself be allowed to run
	// what the protection calls (a keyed mask would be an oracle otherwise)
	// (the caller as the policy API's check sees it: the owner of a
	// SECURITY DEFINER function that called, not the session's role)
	Oid caller = CallerUserId();
	if (check_declarer && !IsPolicyAdmin(caller))
		CheckDeclarerMayExecute(fixed, caller);
	PG_RETURN_TEXT_P(cstring_to_text(canonical));
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(_category_mask, privacy::pg::CategoryMaskImpl)
