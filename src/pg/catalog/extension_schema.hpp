// extension_schema.hpp: the OIDs of pg_privacy's schemas and of the tables
// in schema privacy, found through the extension's identity once and kept
// until the catalogs say otherwise.
//
// Every hook, cache and entry point that reads pg_privacy's own catalogs
// asks here instead of resolving "privacy" and "privacy.<table>" by name on
// each call. A schema or table counts only when it is a member of the
// extension pg_privacy of this database (pg_depend, deptype 'e': created by
// its install or update script): the library is preloaded cluster-wide, and
// in a database without the extension any role with CREATE on it can make
// schemas named privacy and privacy_expr (red team 5 F1). Such look-alikes,
// like a database without the extension or a 0.1.0 one not yet updated,
// are "absent": no catalog, in every hook.
//
// The answers are kept per backend and forgotten through invalidation.hpp:
// all of them on any change of pg_namespace (CREATE/DROP EXTENSION create
// and drop the schemas, a schema rename) and on any change of an extension
// (CREATE/ALTER/DROP EXTENSION, also ALTER EXTENSION ADD/DROP, which change
// only pg_depend: pg_extension has no catalog cache, so the object-access
// hook reports them through NoteExtensionChange as a relcache invalidation
// of pg_extension); a table's on any change of a pg_class row with its name
// in that schema (created, dropped, renamed). So nothing is kept across a
// DROP EXTENSION and CREATE EXTENSION in one backend, nor after either is
// rolled back. Call only inside a transaction.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// PrivacySchema returns the OID of schema privacy (InvalidOid if absent or
// not pg_privacy's).
Oid PrivacySchema();

// ExpressionSchema returns the OID of schema privacy_expr, which holds the
// wrappers of stored expressions (InvalidOid if absent or not pg_privacy's).
Oid ExpressionSchema();

// PrivacyTable returns the OID of privacy.<name> (InvalidOid if absent or
// not a member of pg_privacy).
Oid PrivacyTable(const char *name);

// RequirePrivacyTable returns the OID of privacy.<name>, raising 55000
// ("pg_privacy is not installed in this database") when it is absent.
Oid RequirePrivacyTable(const char *name);

// NoteExtensionChange tells every backend, at commit (this one at the next
// command), that an extension was created, altered or dropped: the
// object-access hook calls it for every such event.
void NoteExtensionChange();

// InitExtensionSchema registers the invalidation callbacks (from _PG_init).
void InitExtensionSchema();

} // namespace privacy::pg
