// extension_schema.hpp: the OIDs of pg_privacy's schemas and of the tables
// in schema privacy, looked up by name once and kept until the catalogs
// say otherwise.
//
// Every hook, cache and entry point that reads pg_privacy's own catalogs
// asks here instead of resolving "privacy" and "privacy.<table>" by name on
// each call. The answers (also "absent", for a database without the
// extension or a 0.1.0 one not yet updated) are kept per backend and
// forgotten through invalidation.hpp: all of them on any change of
// pg_namespace (CREATE/DROP EXTENSION create and drop the schema, a schema
// rename), and a table's on any change of a pg_class row with its name in
// that schema (created, dropped, renamed: CREATE/ALTER/DROP EXTENSION).
// So nothing is kept across a DROP EXTENSION and CREATE EXTENSION in one
// backend, nor after either is rolled back. Call only inside a transaction.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// PrivacySchema returns the OID of schema privacy (InvalidOid if absent).
Oid PrivacySchema();

// ExpressionSchema returns the OID of schema privacy_expr, which holds the
// wrappers of stored expressions (InvalidOid if absent).
Oid ExpressionSchema();

// PrivacyTable returns the OID of privacy.<name> (InvalidOid if absent).
Oid PrivacyTable(const char *name);

// RequirePrivacyTable returns the OID of privacy.<name>, raising 55000
// ("pg_privacy is not installed in this database") when it is absent.
Oid RequirePrivacyTable(const char *name);

// InitExtensionSchema registers the invalidation callbacks (from _PG_init).
void InitExtensionSchema();

} // namespace privacy::pg
