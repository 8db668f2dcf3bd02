// masking_secret.cpp: per-backend cache of the masking secret
// (privacy._masking_secret), read with a direct heap scan and unwrapped with
// the master key (the one whose id the row records; the previous master key
// during a rotation). A row without a master key id holds the secret in
// clear: made while no master key was configured (or by 0.1.0, before the
// update wrapped it); privacy.rewrap_keys() wraps it.
//
// Invariants:
//  * Never uses SPI and checks no privilege: masked roles reach the keyed
//    masks through column policies and have no right on the table.
//  * The cached bytes live in sodium_malloc'd memory (guard pages, locked,
//    excluded from core dumps), allocated once per backend, and are wiped with sodium_memzero as
//    soon as an invalidation of the table (or a full relcache reset) is processed, together with
//    the subkeys (and the key copy they are matched by) that core caches for noise and shift
//    (core::ForgetMaskSubkeys); nothing else keeps a copy.
//  * Never prints the secret or anything derived from it.
#include "pg/catalog/masking_secret.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/invalidation.hpp"
#include "pg/keys/key_wrap.hpp"
#include "privacy/core/mask.hpp"

#include <sodium.h>

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace privacy::pg {

namespace {

constexpr AttrNumber kSecretAttnum =
        2; // privacy._masking_secret(id, secret, created_at, master_key_id)
constexpr AttrNumber kMasterKeyIdAttnum = 4; // absent in a 0.1.0 database not yet updated

std::uint8_t *secret = NULL; // kMaskKeyBytes bytes of sodium_malloc'd memory, never freed
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
	Oid table = PrivacyTable("_masking_secret");
	secret_table = table;
	return table;
}

const std::uint8_t *
MaskingSecret() {
	if (secret_valid)
		return secret;

	if (secret == NULL) {
		secret = (std::uint8_t *)sodium_malloc(core::kMaskKeyBytes);
		if (secret == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of secure memory")));
		sodium_memzero(secret, core::kMaskKeyBytes);
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
	TupleDesc desc = RelationGetDescr(rel);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup = systable_getnext(scan);
	bytea *stored = NULL;   // a copy of the stored (wrapped or clear) secret
	char *stored_id = NULL; // the master key id, NULL: in clear
	if (tup != NULL) {
		bool isnull = true;
		Datum value = heap_getattr(tup, kSecretAttnum, desc, &isnull);
		if (!isnull)
			stored = DatumGetByteaPCopy(value);
		if (desc->natts >= kMasterKeyIdAttnum) {
			Datum id = heap_getattr(tup, kMasterKeyIdAttnum, desc, &isnull);
			if (!isnull)
				stored_id = TextDatumGetCString(id);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (stored == NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("this database has no masking secret"),
		                errhint("A superuser can create one with SELECT "
		                        "privacy.rotate_masking_secret().")));
	if (stored_id == NULL) {
		bool ok = VARSIZE_ANY_EXHDR(stored) == core::kMaskKeyBytes;
		if (ok)
			memcpy(secret, VARDATA_ANY(stored), core::kMaskKeyBytes);
		sodium_memzero(VARDATA_ANY(stored), VARSIZE_ANY_EXHDR(stored));
		pfree(stored);
		if (!ok)
			ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			                errmsg("the masking secret of this database is malformed"),
			                errhint("A superuser can replace it with SELECT "
			                        "privacy.rotate_masking_secret().")));
	} else {
		// wrapped: unwrap with the master key it records (nothing between
		// loading the keys and freeing them raises)
		MasterKeys keys{};
		LoadCurrentMasterKey(&keys);
		if (strcmp(stored_id, keys.current_id) != 0)
			LoadPreviousMasterKey(&keys);
		bool ok = UnwrapStoredSecret(&keys, stored, stored_id, secret);
		FreeMasterKeys(&keys);
		if (!ok)
			ReportUnwrapFailure("the masking secret", stored_id, &keys);
	}
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
