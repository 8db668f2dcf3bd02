// owner_exec.hpp: running the table work pg_privacy does on someone's
// behalf (purge, erasure, static anonymization, retokenization) as the
// table's owner, restricted, the way VACUUM, ANALYZE, CREATE INDEX and
// REFRESH MATERIALIZED VIEW run index expressions and view queries.
//
// The statement is always text pg_privacy built itself (identifiers quoted,
// declared expressions only in their validated canonical form, values bound
// as parameters). It runs:
//  * as the owner of the table (SetUserIdAndSecContext with
//    SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION): triggers,
//    masks, hold conditions and every function they call run with the
//    owner's rights, cannot SET ROLE, create temporary objects or leave
//    session state behind;
//  * with search_path = pg_catalog, pg_temp, at a GUC nest level that is
//    rolled back afterwards (settings the owner's code changes do not leak);
//  * rewritten with SECURITY_NOFORCE_RLS (the owner sees every row of its
//    own table, as referential-integrity checks do) and planned with masking
//    suspended for this one statement only: the statement's own expressions
//    see raw values, anything it fires is masked as for the owner;
//  * executed without either of those exemptions.
// The previous identity and security context are restored in PG_FINALLY.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// TableOwner returns the owner of relid (ERROR when it is gone).
Oid TableOwner(Oid relid);

// RunAsTableOwner runs sql (one DML or SELECT statement with nargs
// parameters $1..$n) as the owner of relid, as described above, and returns
// the number of rows it processed. With value != NULL the first column of
// the first row is returned as text (*value NULL when there is no row or
// the value is NULL). Deferred triggers cannot be queued by the code it
// runs (PostgreSQL refuses them inside a security-restricted operation), so
// nothing of the owner's is left to fire at commit under another identity.
uint64 RunAsTableOwner(Oid relid, const char *sql, int nargs, Oid *types, Datum *values,
                       bool *nulls, char **value);

// ReadAsTableOwner runs sql, one SELECT of relid that pg_privacy built
// itself, for reader (a subject export): as the owner of relid, restricted,
// like RunAsTableOwner (the owner sees every row of its own table; the
// owner's casts, type functions and the masks run with the owner's rights),
// but planned masked for reader, so that the owner's rights unmask nothing.
// The reader's privileges on relid are not checked here: check them first.
// A superuser's table is read as reader instead (restricted, pg_privacy's
// own row policies of relid left out of the rewrite): a superuser's code
// needs no protection from the reader's rights, and administrators' masks
// must not run as a superuser. Returns the first column of the first row
// as text (NULL when there is none).
// Refused (42501) for a superuser's table with
// a column whose type, or a type it is built from, belongs to a role that is
// not a superuser (ColumnTypesOfAnotherRole): that role's casts would run
// with the reader's rights.
char *ReadAsTableOwner(Oid relid, Oid reader, const char *sql, int nargs, Oid *types, Datum *values,
                       bool *nulls);

// ColumnTypesOfAnotherRole reports whether a column of relid has a type
// that is, or is built from (element, base, field, range subtype,
// recursively), a type owned by a role that is not a superuser.
bool ColumnTypesOfAnotherRole(Oid relid);

} // namespace privacy::pg
