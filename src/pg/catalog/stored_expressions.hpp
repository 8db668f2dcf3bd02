// stored_expressions.hpp: masks, row filters and legal-hold conditions
// stored as analyzed trees with real dependencies (issue 17 part 4).
//
// Each stored expression is the body of one generated SQL-standard function
// in schema privacy_expr, `"<label>"(<col> <type>, ...) RETURNS <type>
// RETURN <expr over the arguments>`, taking the columns it reads (and a
// mask's own column) as arguments in attribute-number order. PostgreSQL
// stores that body as a pg_node_tree (pg_proc.prosqlbody) and records its
// dependencies on functions, operators and types in pg_depend; pg_privacy
// records one on each column it takes (NORMAL: the column cannot be
// dropped, 2BP01, or retyped, 0A000, under it; DROP ... CASCADE takes the
// wrapper). The tree holds OIDs and pg_depend attribute numbers, so renames
// follow. Each wrapper also depends AUTO on its table and on the extension,
// so DROP TABLE and DROP EXTENSION take it along, and a mask depends AUTO
// on the column it masks (DROP COLUMN takes the mask along, as it takes a
// default). It never takes the table's row type: PostgreSQL would then
// refuse every ALTER TABLE that rewrites the table (red team F2). The
// policy rows name the wrapper (regprocedure); a policy whose wrapper was
// dropped fails closed.
// doc/masking.md ("Stored expressions") has the design and its trade-offs.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "access/attnum.h"
#include "nodes/nodes.h"
}

namespace privacy::pg {

// kExpressionSchema is the schema of the generated functions.
constexpr const char *kExpressionSchema = "privacy_expr";

// CreateStoredExpression creates the wrapper of a canonical expression over
// relid (attnum: the masked column, or InvalidAttrNumber for a boolean row
// filter or hold condition) and returns its OID. `what` names the
// expression in errors ("mask expression", "row filter", "hold condition");
// label is the wrapper's name (truncated to fit a name).
Oid CreateStoredExpression(Oid relid, AttrNumber attnum, const char *canonical, const char *what,
                           const char *label);

// LoadStoredExpression returns the stored expression of wrapper funcid as
// an expression over relid (varno 1; relid may be the wrapper's table or a
// member of its family: columns are matched by name), coerced to the type of
// column attnum (or to boolean), with every function it calls checked for a
// trusted owner. Raises (fail closed) when the wrapper is missing.
Node *LoadStoredExpression(Oid funcid, Oid relid, AttrNumber attnum, const char *what);

// StoredExpressionText deparses the wrapper's expression as canonical text
// over its table (names qualified as seen from search_path = pg_catalog,
// pg_temp); NULL when funcid is not a wrapper.
char *StoredExpressionText(Oid funcid);

// HoldExpressionTable returns the table of a legal hold's wrapper (named
// "hold <id> of <table>" by place_hold), InvalidOid for any other function.
Oid HoldExpressionTable(Oid funcid);

// LinkStoredExpression records (once) the wrapper's AUTO dependencies on its
// table relid and on the extension, and for a mask (own_column: the masked
// column) makes its dependency on that column AUTO: the mask goes with its
// column, a column it only reads cannot be dropped. pg_restore recreates
// wrappers without any of these: a wrapper without column dependencies gets
// them from its arguments' names (a WARNING, and the policy fails closed,
// when they do not name columns of relid in order).
void LinkStoredExpression(Oid funcid, Oid relid, AttrNumber own_column = InvalidAttrNumber);

// SyncStoredExpressionNames renames the argument of every wrapper that
// takes column attnum of relid after the column (the names are what
// pg_restore maps the arguments by).
void SyncStoredExpressionNames(Oid relid, AttrNumber attnum);

} // namespace privacy::pg
