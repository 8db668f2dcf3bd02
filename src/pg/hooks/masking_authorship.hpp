// masking_authorship.hpp: who wrote an expression decides whether it may see
// raw values (doc/security-model.md, "Authorship decides").
//
// The rule, stated once (masking_authorship.cpp implements it, masking_rewrite.cpp
// applies it):
//
//   Raw values of a governed table are visible only to expressions declared
//   on that table itself by its owner or a policy administrator: the table's
//   own row-security policies (pg_privacy's row filters are such policies),
//   and its constraint, unique and foreign-key checks. Every other expression
//   sees what the role that makes it run sees: policies of other tables,
//   view quals and check options, trigger bodies, functions, sublinks, and
//   whatever runs inside a foreign-key cascade.
//
// pg_privacy may exempt one statement of its own (SuspendMasking); nothing
// planned while masking is suspended or for a foreign key's own query is
// kept for reuse beyond the transaction.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "nodes/parsenodes.h"
}

namespace privacy::pg {

// ExprOrigin says where an expression of the rewritten statement comes from.
enum class ExprOrigin {
	kStatement, // the statement itself, view bodies, functions, sublinks
	kOwnPolicy, // a row-security policy of the relation it is attached to
	kViewQual,  // a security_barrier view's WHERE moved onto its base relation
	kViewCheck, // a view's check option (WCO_VIEW_CHECK and any non-RLS kind)
};

// RawRelationFor is the one answer to "may this expression see raw values":
// it returns the relation whose raw values an expression of `origin`,
// attached to relation `relid`, may read (only kOwnPolicy gets its own
// relation), or InvalidOid when it sees everything masked as the current
// role would.
Oid RawRelationFor(ExprOrigin origin, Oid relid);

// CheckOptionOrigin classifies a WITH CHECK option by its kind: the RLS kinds
// are the result relation's own policies, every other kind (view check
// options, view quals checked by ON CONFLICT, kinds unknown to this build)
// is view-origin.
ExprOrigin CheckOptionOrigin(const WithCheckOption *wco);

// OwnPolicyQualCount returns how many leading entries of `quals` (the
// detached securityQuals of query's range-table entry rti) are the
// relation's own row-security policies; the remaining entries are quals of
// security_barrier views the statement writes through. Raises 55000 when the
// two origins cannot be told apart with certainty.
int OwnPolicyQualCount(Query *query, int rti, List *quals);

// IsForeignKeyQuery reports whether parse is the query of a foreign-key check
// or action (ri_triggers.c) on its own table: planned inside the
// referential-integrity machinery, run as the owner of its only relation,
// and shaped exactly like the queries ri_triggers.c generates (key columns
// compared with parameters, nothing else). Code such a query fires (triggers,
// functions) is planned separately and never matches.
bool IsForeignKeyQuery(Query *parse);

// ConsumeMaskingSuspension returns true exactly once after SuspendMasking:
// for the first statement planned, never for statements planned while it
// runs (its triggers, functions).
bool ConsumeMaskingSuspension();

// InstallMaskingAuthorship registers the abort callback that disarms a
// suspension an error left armed.
void InstallMaskingAuthorship();

} // namespace privacy::pg
