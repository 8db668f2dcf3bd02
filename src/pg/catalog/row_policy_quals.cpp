// row_policy_quals.cpp: the quals that pg_privacy's restrictive row-security
// hook attaches, built from the cached rows of privacy._row_policy.
//
// Quals are SQL built here from catalog values (quoted identifiers and
// literals, relation OIDs) plus canonical filter text that was validated
// when declared, and parsed with search_path = pg_catalog, pg_temp; stored
// filters are loaded analyzed (stored_expressions.hpp). They contain no
// subqueries, so plans stay parallel-safe.
//
// Never uses SPI (called while the rewriter runs).
#include "pg/catalog/row_policy_quals.hpp"
#include "pg/catalog/extension_schema.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/stored_expressions.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/memutils.h"
}

namespace privacy::pg {

namespace {

// search_path; *has_sublinks tells whether it contains subqueries.
Expr *
ParseQual(Oid relid, const char *text, bool *has_sublinks) {
	int nest_level = RunWithFixedSearchPath();
	List *raw = raw_parser(text, RAW_PARSE_PLPGSQL_EXPR);
	SelectStmt *select = (SelectStmt *)linitial_node(RawStmt, raw)->stmt;
	ResTarget *target = linitial_node(ResTarget, select->targetList);
	Relation rel = relation_open(relid, AccessShareLock);
	ParseState *pstate = make_parsestate(NULL);
	pstate->p_sourcetext = text;
	ParseNamespaceItem *nsitem =
	        addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL, false, false);
	addNSItemToQuery(pstate, nsitem, false, true, true);
	Node *expr = transformExpr(pstate, target->val, EXPR_KIND_POLICY);
	expr = coerce_to_boolean(pstate, expr, "row policy");
	assign_expr_collations(pstate, expr);
	*has_sublinks = pstate->p_hasSubLinks;
	free_parsestate(pstate);
	relation_close(rel, AccessShareLock);
	RestoreSearchPath(nest_level);
	return (Expr *)expr;
}

// RetentionWindow reads the time column and keep interval of relid's
// retention policy (privacy._retention_policy); false if there is none.
bool
RetentionWindow(Oid relid, char **time_column, char **keep) {
	Oid table = PrivacyTable("_retention_policy");
	if (!OidIsValid(table))
		return false;
	bool found = false;
	Relation rel = table_open(table, AccessShareLock);
	TupleDesc desc = RelationGetDescr(rel);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while (!found && (tup = systable_getnext(scan)) != NULL) {
		bool isnull;
		if (DatumGetObjectId(heap_getattr(tup, 1, desc, &isnull)) != relid)
			continue;
		*time_column = pstrdup(NameStr(*DatumGetName(heap_getattr(tup, 2, desc, &isnull))));
		Datum interval = heap_getattr(tup, 3, desc, &isnull);
		*keep = DatumGetCString(DirectFunctionCall1(interval_out, interval));
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

} // namespace

void
BuildRelationPolicies(RelPolicies *entry, const PolicyRow *rows, int nrows,
                      MemoryContext cache_context) {
	List *sources = list_make1_oid(entry->relid);
	// the relation's own policies, then its ancestors' (nearest first)
	sources = list_concat(sources, InheritanceAncestors(entry->relid));

	int count = 0;
	for (int i = 0; i < nrows; i++)
		if (list_member_oid(sources, rows[i].relid))
			count++;
	entry->npolicies = 0;
	entry->policies = (RowSecurityPolicy *)MemoryContextAllocZero(
	        cache_context, sizeof(RowSecurityPolicy) * (count + 1));
	entry->consent = (bool *)MemoryContextAllocZero(cache_context, sizeof(bool) * (count + 1));
	if (count == 0)
		return;

	ListCell *lc;
	foreach (lc, sources) {
		Oid source = lfirst_oid(lc);
		for (int i = 0; i < nrows; i++) {
			const PolicyRow *row = &rows[i];
			if (row->relid != source)
				continue;
			StringInfoData qual;
			initStringInfo(&qual);
			if (row->consent) {
				if (get_attnum(entry->relid, NameStr(row->subject_column)) == InvalidAttrNumber)
					ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
					                errmsg("subject column \"%s\" of consent policy \"%s\" is "
					                       "missing from \"%s\"",
					                       NameStr(row->subject_column), row->name,
					                       get_rel_name(entry->relid))));
				appendStringInfo(&qual,
				                 "privacy._consent_allows(%u::pg_catalog.regclass, %s, "
				                 "(%s)::pg_catalog.text)",
				                 entry->relid, quote_literal_cstr(row->purpose),
				                 quote_identifier(NameStr(row->subject_column)));
			} else if (row->retention) {
				char *time_column = NULL;
				char *keep = NULL;
				if (!RetentionWindow(source, &time_column, &keep))
					ereport(ERROR,
					        (errcode(ERRCODE_UNDEFINED_OBJECT),
					         errmsg("row policy \"retention\" of \"%s\" has no retention policy",
					                get_rel_name(source)),
					         errhint("Drop it with privacy.drop_row_policy() or declare one with "
					                 "privacy.set_retention().")));
				appendStringInfo(
				        &qual,
				        "privacy._row_exempt(%u::pg_catalog.regclass) OR (%s) IS NULL OR (%s) >= "
				        "pg_catalog.now() OPERATOR(pg_catalog.-) %s::pg_catalog.interval",
				        entry->relid, quote_identifier(time_column), quote_identifier(time_column),
				        quote_literal_cstr(keep));
			} else if (!OidIsValid(row->condition_function)) {
				appendStringInfo(&qual, "privacy._row_exempt(%u::pg_catalog.regclass) OR (%s)",
				                 entry->relid, row->condition);
			} else {
				appendStringInfo(&qual, "privacy._row_exempt(%u::pg_catalog.regclass)",
				                 entry->relid);
			}
			bool has_sublinks = false;
			Expr *expr = ParseQual(entry->relid, qual.data, &has_sublinks);
			if (!row->consent && !row->retention && OidIsValid(row->condition_function)) {
				// the stored filter, no parsing; fails closed if it was dropped
				Node *filter = LoadStoredExpression(row->condition_function, entry->relid,
				                                    InvalidAttrNumber, "row filter");
				expr = makeBoolExpr(OR_EXPR, list_make2(expr, filter), -1);
			}

			MemoryContext old = MemoryContextSwitchTo(cache_context);
			RowSecurityPolicy *policy = &entry->policies[entry->npolicies];
			policy->policy_name = psprintf("pg_privacy %s", row->name);
			policy->polcmd = '*';
			if (row->nroles > 0) {
				Datum *elems = (Datum *)palloc(sizeof(Datum) * row->nroles);
				for (int r = 0; r < row->nroles; r++)
					elems[r] = ObjectIdGetDatum(row->roles[r]);
				policy->roles = construct_array(elems, row->nroles, OIDOID, sizeof(Oid), true,
				                                TYPALIGN_INT);
			} else {
				Datum public_role = ObjectIdGetDatum(ACL_ID_PUBLIC);
				policy->roles =
				        construct_array(&public_role, 1, OIDOID, sizeof(Oid), true, TYPALIGN_INT);
			}
			policy->permissive = false;
			policy->qual = (Expr *)copyObject(expr);
			// consent and the retention window gate visibility; new and updated
			// rows are not checked against them (they are the application's
			// writes)
			bool visibility_only = row->consent || row->retention;
			policy->with_check_qual =
			        visibility_only ? (Expr *)makeBoolConst(true, false) : (Expr *)copyObject(expr);
			policy->hassublinks = has_sublinks;
			entry->consent[entry->npolicies] = visibility_only;
			entry->npolicies++;
			MemoryContextSwitchTo(old);
		}
	}
}

} // namespace privacy::pg
