// purposes.cpp: may a role declare a purpose? The gate of every
// consent-gated statement asks once, so the last answer is kept until roles,
// memberships or the policy catalog change. Reads the catalog with heap
// scans, never SPI.
#include "pg/catalog/purposes.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/invalidation.hpp"

#include "pg/catalog/column_policies.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// The last PurposeUsable answer: the gate of every consent-gated statement
// asks it once, so a point lookup should not scan two catalog tables.
char usable_purpose[NAMEDATALEN];
Oid usable_user = InvalidOid;
bool usable_answer = false;
bool usable_valid = false;

// RoleChangeCallback forgets the answer when roles or memberships change.
void
RoleChangeCallback(Datum arg, int cacheid, uint32 hashvalue) {
	usable_valid = false;
}

// RelcacheCallback forgets the answer on the signal the policy API sends
// (privacy._invalidate_policies) and on a reset of everything.
void
RelcacheCallback(Datum arg, Oid relid) {
	// never IsCatalogTable here: it may read catalogs (see MaybeCatalogTable)
	if (!OidIsValid(relid) || MaybeCatalogTable(relid))
		usable_valid = false;
}

} // namespace

void
InitPurposeCache() {
	RegisterRelcacheInvalidation(RelcacheCallback, (Datum)0);
	RegisterSyscacheInvalidation(AUTHMEMROLEMEM, RoleChangeCallback, (Datum)0);
	RegisterSyscacheInvalidation(AUTHOID, RoleChangeCallback, (Datum)0);
}

bool
PurposeUsable(const char *purpose, Oid userid) {
	if (purpose == NULL || purpose[0] == '\0')
		return false;
	if (usable_valid && usable_user == userid && strcmp(usable_purpose, purpose) == 0)
		return usable_answer;
	bool answer = PurposeUsableUncached(purpose, userid);
	strlcpy(usable_purpose, purpose, sizeof(usable_purpose));
	usable_user = userid;
	usable_answer = answer;
	usable_valid = strlen(purpose) < sizeof(usable_purpose);
	return answer;
}

bool
PurposeUsableUncached(const char *purpose, Oid userid) {
	Oid purposes = PrivacyTable("_purpose");
	Oid allowed = PrivacyTable("_purpose_role");
	if (!OidIsValid(purposes) || !OidIsValid(allowed))
		return false;

	bool exists = false;
	Relation rel = table_open(purposes, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while (!exists && (tup = systable_getnext(scan)) != NULL) {
		bool isnull;
		Datum name = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull);
		if (!isnull && strcmp(TextDatumGetCString(name), purpose) == 0)
			exists = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!exists)
		return false;
	if (superuser_arg(userid))
		return true;

	bool usable = false;
	rel = table_open(allowed, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (!usable && (tup = systable_getnext(scan)) != NULL) {
		bool isnull[2];
		Datum role = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull[0]);
		Datum name = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull[1]);
		if (!isnull[0] && !isnull[1] && strcmp(TextDatumGetCString(name), purpose) == 0 &&
		    has_privs_of_role(userid, DatumGetObjectId(role)))
			usable = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return usable;
}

} // namespace privacy::pg
