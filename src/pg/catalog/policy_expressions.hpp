// policy_expressions.hpp: the analysis and validation of the expressions a
// policy declares over a table (masks, row filters, legal-hold conditions),
// shared by declaration (fmgr) and plan time (the column and row policy
// caches, stored expressions).
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "access/attnum.h"
#include "nodes/nodes.h"
#include "parser/parse_node.h"
}

namespace privacy::pg {

// AnalyzeMaskExpression parses `mask` against relation relid as the mask of
// column attnum: validated (no subqueries, aggregates, window functions,
// set-returning or volatile functions, system columns), coerced to the
// column type. With canonical_out it also returns the canonical text (names
// qualified as seen from search_path = pg_catalog, pg_temp). When
// use_fixed_search_path is true the text is resolved with that fixed path
// (plan time); otherwise with the caller's path (declaration time).
Node *AnalyzeMaskExpression(Oid relid, AttrNumber attnum, const char *mask,
                            bool use_fixed_search_path, char **canonical_out);

// AnalyzeRelationExpression is the general form: with attnum =
// InvalidAttrNumber the expression is a row filter and must be boolean.
// `what` names the expression in error messages ("mask expression", "row
// filter").
Node *AnalyzeRelationExpression(Oid relid, AttrNumber attnum, const char *text,
                                bool use_fixed_search_path, char **canonical_out, const char *what);

// ValidatePolicyExpression is the one validator of every expression a
// policy declares: masks (attnum = the column), row filters and legal-hold
// conditions (attnum = InvalidAttrNumber, boolean; what = "row filter" or
// "hold condition"). It applies AnalyzeRelationExpression's rules (one
// expression, no subquery, aggregate, window, set-returning or volatile
// function, no system column or whole-row reference, every function owned
// by a superuser or policy administrator) with the caller's search_path,
// and returns the canonical text, which must resolve to the same tree with
// search_path = pg_catalog, pg_temp. With table_work (the expression is
// about to run in pg_privacy's table work, as the table's owner) on a table
// owned by a superuser, only functions owned by superusers are trusted.
// With superusers_only (hold conditions: an administrator could otherwise
// redefine which rows a hold protects) only superusers' functions are
// trusted, whoever owns the table.
char *ValidatePolicyExpression(Oid relid, AttrNumber attnum, const char *text, const char *what,
                               bool table_work, bool superusers_only = false);

// ExpressionMessages holds the messages about one kind of declared
// expression ("mask expression", "row filter", "hold condition"), each
// written whole so that it translates as one sentence. Those without
// arguments are printed with errmsg("%s", _(...)).
struct ExpressionMessages {
	const char *untrusted;        // %s: the function
	const char *not_boolean;      // %s: the expression's type
	const char *wrong_type;       // %s: its type, the column, the column's type
	const char *cast_hint;        //
	const char *single;           //
	const char *single_detail;    //
	const char *system_column;    //
	const char *subquery;         //
	const char *aggregate;        //
	const char *window;           //
	const char *set_returning;    //
	const char *volatile_fn;      //
	const char *volatile_detail;  //
	const char *search_path;      //
	const char *search_path_hint; //
	const char *stored_differs;   //
	const char *dropped_column;   // %s: the column, the relation
	const char *dropped;          // %s: the relation
	const char *runs_queries;     // %s: the function
	const char *untrusted_type;   // %s: the type
	const char *stored_form;      // %s: the function
	const char *json_type;        // %s: the type
};

// ParseSingleExpression parses text (raw, not analyzed) and returns its
// expression when it is exactly one bare expression: one statement, one
// target, no FROM, WHERE or other clause, not `*`. Otherwise NULL,
// with *with_clauses telling whether it was one statement with clauses or
// more targets. Syntax errors are raised as the parser raises them.
Node *ParseSingleExpression(const char *text, bool *with_clauses);

// MessagesFor returns the messages of the kind `what` names.
const ExpressionMessages &MessagesFor(const char *what);

// CheckTrustedFunctions raises 42501 when expr calls a function whose owner
// is not trusted to run in policies (superusers and policy administrators),
// or a built-in that runs queries, views or cursors of any role
// (table_to_xml and the other *_to_xml* functions, ts_stat, ts_rewrite):
// whatever its owner, those run code nobody trusted.
void CheckTrustedFunctions(Node *expr, const char *what);

// CoercePolicyExpression coerces an analyzed expression over relid to the
// type, typmod and collation of column attnum, or to boolean
// (InvalidAttrNumber). pstate may be NULL.
Node *CoercePolicyExpression(ParseState *pstate, Node *expr, Oid relid, AttrNumber attnum,
                             const char *what);

} // namespace privacy::pg
