// extension_schema.cpp: cached OIDs of pg_privacy's schemas and catalog
// tables (see the header).
//
// Per-backend state in static storage: the two schema OIDs and a short list
// of table names with their OIDs (InvalidOid when absent) and the
// RELNAMENSP hash of (name, schema), which is what a pg_class invalidation
// carries: a table's entry goes when that hash, or a full reset, arrives.
// The callbacks only clear state; every lookup counts the invalidations it
// may have absorbed and looks again when one arrived, so an answer kept is
// current as of every invalidation processed before it.
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/invalidation.hpp"
#include "pg/catalog/stored_expressions.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

constexpr int kMaxTables = 48;

struct TableEntry {
	char name[NAMEDATALEN];
	Oid relid;
	uint32 hash;
};

struct SchemaEntry {
	const char *name;
	Oid oid;
	bool valid;
};

SchemaEntry privacy_schema = {"privacy", InvalidOid, false};
SchemaEntry expression_schema = {kExpressionSchema, InvalidOid, false};
TableEntry tables[kMaxTables];
int ntables = 0;
// invalidations processed that touched this cache: a lookup that sees it
// change while it runs looks again
uint64 forgotten = 0;

// ForgetSchemas forgets everything on any change of pg_namespace: the
// table entries were found in the schema as it was.
void
ForgetSchemas(Datum arg, int cacheid, uint32 hashvalue) {
	privacy_schema.valid = false;
	expression_schema.valid = false;
	ntables = 0;
	forgotten++;
}

// ForgetTables forgets the entries of the pg_class rows invalidated.
void
ForgetTables(Datum arg, int cacheid, uint32 hashvalue) {
	forgotten++;
	if (hashvalue == 0) {
		ntables = 0;
		return;
	}
	for (int i = 0; i < ntables;) {
		if (tables[i].hash == hashvalue)
			tables[i] = tables[--ntables];
		else
			i++;
	}
}

Oid
Schema(SchemaEntry *entry) {
	while (!entry->valid) {
		uint64 before = forgotten;
		Oid oid = get_namespace_oid(entry->name, true);
		if (forgotten == before) {
			entry->oid = oid;
			entry->valid = true;
		}
	}
	return entry->oid;
}

} // namespace

Oid
PrivacySchema() {
	return Schema(&privacy_schema);
}

Oid
ExpressionSchema() {
	return Schema(&expression_schema);
}

Oid
PrivacyTable(const char *name) {
	for (;;) {
		Oid nsp = PrivacySchema();
		if (!OidIsValid(nsp))
			return InvalidOid;
		for (int i = 0; i < ntables; i++)
			if (strcmp(tables[i].name, name) == 0)
				return tables[i].relid;
		uint64 before = forgotten;
		Oid relid = get_relname_relid(name, nsp);
		if (forgotten != before)
			continue; // the schema's OID may have changed meanwhile
		if (ntables == kMaxTables || strlen(name) >= NAMEDATALEN)
			return relid; // not kept (a caller passing unexpected names)
		TableEntry *entry = &tables[ntables++];
		strlcpy(entry->name, name, NAMEDATALEN);
		entry->relid = relid;
		entry->hash =
		        GetSysCacheHashValue2(RELNAMENSP, CStringGetDatum(name), ObjectIdGetDatum(nsp));
		return relid;
	}
}

Oid
RequirePrivacyTable(const char *name) {
	Oid relid = PrivacyTable(name);
	if (!OidIsValid(relid))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("pg_privacy is not installed in this database"),
		                errhint("Run CREATE EXTENSION pg_privacy."), errhidestmt(true),
		                errhidecontext(true)));
	return relid;
}

void
InitExtensionSchema() {
	RegisterSyscacheInvalidation(NAMESPACEOID, ForgetSchemas, (Datum)0);
	RegisterSyscacheInvalidation(RELNAMENSP, ForgetTables, (Datum)0);
}

} // namespace privacy::pg
