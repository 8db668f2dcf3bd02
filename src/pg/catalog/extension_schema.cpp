// extension_schema.cpp: cached OIDs of pg_privacy's schemas and catalog
// tables, found through the extension's identity (see the header).
//
// Per-backend state in static storage: the extension's OID, the two schema
// OIDs (InvalidOid unless the schema is a member of the extension) and a
// short list of table names with their OIDs (InvalidOid when absent or not
// a member) and the RELNAMENSP hash of (name, schema), which is what a
// pg_class invalidation carries: a table's entry goes when that hash, or a
// full reset, arrives. The callbacks only clear state; every lookup counts
// the invalidations it may have absorbed and looks again when one arrived,
// so an answer kept is current as of every invalidation processed before
// it.
//
// Why membership and not the name: the library is preloaded for the whole
// cluster, so its hooks run in databases where the extension was never
// created, and there the names privacy and privacy_expr belong to whoever
// creates them first. A member of the extension was created by its script
// (run by a superuser), and only the extension's owner can add or remove
// members (ALTER EXTENSION ADD/DROP). extnamespace is no proof here: the
// extension is not relocatable but names no schema in its control file, so
// extnamespace is wherever CREATE EXTENSION ran (usually public).
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/invalidation.hpp"
#include "pg/catalog/stored_expressions.hpp"

extern "C" {
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "commands/extension.h"
#include "utils/inval.h"
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

// Identity is what this database's pg_privacy is: its extension OID and
// its two schemas (InvalidOid when absent or not members of it).
struct Identity {
	bool valid;
	Oid extension;
	Oid privacy;
	Oid expression;
};

Identity identity = {false, InvalidOid, InvalidOid, InvalidOid};
TableEntry tables[kMaxTables];
int ntables = 0;
// invalidations processed that touched this cache: a lookup that sees it
// change while it runs looks again
uint64 forgotten = 0;

// Forget forgets everything: the table entries were found in the schema as
// it was, for the extension as it was.
void
Forget() {
	identity.valid = false;
	ntables = 0;
	forgotten++;
}

// ForgetSchemas forgets everything on any change of pg_namespace.
void
ForgetSchemas(Datum arg, int cacheid, uint32 hashvalue) {
	Forget();
}

// ForgetExtension forgets everything when an extension changed (a relcache
// invalidation of pg_extension, NoteExtensionChange) or on a full reset.
void
ForgetExtension(Datum arg, Oid relid) {
	if (!OidIsValid(relid) || relid == ExtensionRelationId)
		Forget();
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

// MemberSchema returns the OID of schema name when it is a member of
// extension ext, else InvalidOid.
Oid
MemberSchema(const char *name, Oid ext) {
	if (!OidIsValid(ext))
		return InvalidOid;
	Oid nsp = get_namespace_oid(name, true);
	if (!OidIsValid(nsp) || getExtensionOfObject(NamespaceRelationId, nsp) != ext)
		return InvalidOid;
	return nsp;
}

// IsMember reports whether relation relid is a member of extension ext,
// an index when the table it indexes is.
bool
IsMember(Oid relid, Oid ext) {
	Oid owner = relid;
	if (get_rel_relkind(relid) == RELKIND_INDEX)
		owner = IndexGetRelation(relid, true);
	return OidIsValid(owner) && getExtensionOfObject(RelationRelationId, owner) == ext;
}

// Current returns the identity of this database's pg_privacy, looking it
// up when it was forgotten.
const Identity &
Current() {
	while (!identity.valid) {
		uint64 before = forgotten;
		Oid ext = get_extension_oid("pg_privacy", true);
		Oid privacy = MemberSchema("privacy", ext);
		Oid expression = OidIsValid(privacy) ? MemberSchema(kExpressionSchema, ext) : InvalidOid;
		if (forgotten == before)
			identity = Identity{true, ext, privacy, expression};
	}
	return identity;
}

} // namespace

Oid
PrivacySchema() {
	return Current().privacy;
}

Oid
ExpressionSchema() {
	return Current().expression;
}

Oid
PrivacyTable(const char *name) {
	for (;;) {
		const Identity &id = Current();
		Oid nsp = id.privacy;
		Oid ext = id.extension;
		if (!OidIsValid(nsp))
			return InvalidOid;
		for (int i = 0; i < ntables; i++)
			if (strcmp(tables[i].name, name) == 0)
				return tables[i].relid;
		uint64 before = forgotten;
		Oid relid = get_relname_relid(name, nsp);
		// only the extension's own table (or an index of one: indexes go
		// with their table and are never members themselves): the schema's
		// owner could have put another one there
		if (OidIsValid(relid) && !IsMember(relid, ext))
			relid = InvalidOid;
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
NoteExtensionChange() {
	// pg_extension has no catalog cache, and ALTER EXTENSION ADD/DROP only
	// changes pg_depend: a relcache invalidation of pg_extension itself is
	// the shared message every backend (ForgetExtension) receives
	CacheInvalidateRelcacheByRelid(ExtensionRelationId);
}

void
InitExtensionSchema() {
	RegisterSyscacheInvalidation(NAMESPACEOID, ForgetSchemas, (Datum)0);
	RegisterSyscacheInvalidation(RELNAMENSP, ForgetTables, (Datum)0);
	RegisterRelcacheInvalidation(ForgetExtension, (Datum)0);
}

} // namespace privacy::pg
