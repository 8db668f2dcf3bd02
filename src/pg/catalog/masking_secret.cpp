// masking_secret.cpp: per-backend cache of the masking secret
// (privacy._masking_secret), read with a direct heap scan.
//
// Invariants:
//  * Never uses SPI and checks no privilege: masked roles reach the keyed
//    masks through column policies and have no right on the table.
//  * The cached bytes live in a dedicated child of CacheMemoryContext and are
//    wiped with sodium_memzero as soon as an invalidation of the table (or a
//    full relcache reset) is processed, together with the subkeys (and the
//    key copy they are matched by) that core caches for noise and shift
//    (core::ForgetMaskSubkeys); nothing else keeps a copy.
//  * Never prints the secret or anything derived from it.
#include "pg/catalog/masking_secret.hpp"
#include "pg/catalog/invalidation.hpp"
#include "privacy/core/mask.hpp"

#include <sodium.h>

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace privacy::pg {

namespace {

constexpr AttrNumber kSecretAttnum = 2; // privacy._masking_secret(id, secret, created_at)

MemoryContext secret_context = NULL;
std::uint8_t *secret = NULL; // kMaskKeyBytes bytes in secret_context
bool secret_valid = false;
Oid secret_table = InvalidOid;
uint64 invalidations = 0;

// WipeSecret forgets the cached secret and the table OID.
void
WipeSecret() {
	if (secret != NULL)
		sodium_memzero(secret, core::kMaskKeyBytes);
	secret_valid = false;
	secret_table = InvalidOid;
	privacy::core::ForgetMaskSubkeys();
	invalidations++;
}

// RelcacheCallback wipes the cache when the secret table (or every relation)
// is invalidated: rotation, restore, manual changes, DROP EXTENSION.
void
RelcacheCallback(Datum arg, Oid relid) {
	if (!OidIsValid(relid) || relid == secret_table)
		WipeSecret();
}

} // namespace

void
InitMaskingSecretCache() {
	RegisterRelcacheInvalidation(RelcacheCallback, (Datum)0);
}

Oid
MaskingSecretTable() {
	if (OidIsValid(secret_table))
		return secret_table;
	Oid nsp = get_namespace_oid("privacy", true);
	Oid table = OidIsValid(nsp) ? get_relname_relid("_masking_secret", nsp) : InvalidOid;
	secret_table = table;
	return table;
}

const std::uint8_t *
MaskingSecret() {
	if (secret_valid)
		return secret;

	if (secret_context == NULL) {
		secret_context = AllocSetContextCreate(CacheMemoryContext, "pg_privacy masking secret", ALLOCSET_SMALL_SIZES);
		secret = (std::uint8_t *)MemoryContextAllocZero(secret_context, core::kMaskKeyBytes);
	}

	Oid table = MaskingSecretTable();
	if (!OidIsValid(table))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("pg_privacy is not installed in this database"),
		                errhint("Run CREATE EXTENSION pg_privacy.")));

	Relation rel = table_open(table, AccessShareLock);
	// Opening the table may have processed invalidations; count from here.
	uint64 generation = invalidations;
	secret_table = table;
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup = systable_getnext(scan);
	bool found = false;
	bool malformed = false;
	if (tup != NULL) {
		bool isnull = true;
		Datum value = heap_getattr(tup, kSecretAttnum, RelationGetDescr(rel), &isnull);
		if (!isnull) {
			bytea *bytes = DatumGetByteaPP(value);
			if (VARSIZE_ANY_EXHDR(bytes) == core::kMaskKeyBytes) {
				memcpy(secret, VARDATA_ANY(bytes), core::kMaskKeyBytes);
				found = true;
			} else {
				malformed = true;
			}
			if ((Pointer)bytes != DatumGetPointer(value)) {
				sodium_memzero(bytes, VARSIZE_ANY(bytes));
				pfree(bytes);
			}
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (malformed)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("the masking secret of this database is malformed"),
		                errhint("A superuser can replace it with SELECT privacy.rotate_masking_secret().")));
	if (!found)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("this database has no masking secret"),
		                errhint("A superuser can create one with SELECT privacy.rotate_masking_secret().")));
	if (generation == invalidations)
		secret_valid = true;
	return secret;
}

void
InvalidateMaskingSecret() {
	Oid table = MaskingSecretTable();
	if (OidIsValid(table))
		CacheInvalidateRelcacheByRelid(table);
}

} // namespace privacy::pg
