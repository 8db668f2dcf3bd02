// masking_secret.cpp: SQL functions that create and rotate the database's
// masking secret, and the trigger that keeps privacy._masking_secret to one
// row and invalidates every backend's cached copy when it changes.
//
// The secret is 32 bytes from libsodium's CSPRNG (randombytes_buf). It is
// written through SPI as a bytea parameter (never spliced into query text),
// the temporary copy is wiped, and nothing here ever prints it. Restore:
// CREATE EXTENSION creates a fresh secret, then pg_restore's COPY of the
// configuration table inserts the dumped one, and the trigger replaces the
// fresh row with it, so pseudonyms survive dump/restore.
#include "pg/catalog/masking_secret.hpp"

#include "pg/boundary/boundary.hpp"

#include <sodium.h>

extern "C" {
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
}

namespace {

// InsertNewSecret stores a fresh random secret; with only_if_missing it does
// nothing when a secret already exists. The trigger deletes the old row.
void
InsertNewSecret(bool only_if_missing) {
	const char *query = only_if_missing
	                        ? "INSERT INTO privacy._masking_secret (secret) SELECT $1 "
	                          "WHERE NOT EXISTS (SELECT FROM privacy._masking_secret)"
	                        : "INSERT INTO privacy._masking_secret (secret) VALUES ($1)";
	bytea *value = (bytea *)palloc(VARHDRSZ + privacy::core::kMaskKeyBytes);
	SET_VARSIZE(value, VARHDRSZ + privacy::core::kMaskKeyBytes);
	randombytes_buf(VARDATA(value), privacy::core::kMaskKeyBytes);
	Oid argtypes[1] = {BYTEAOID};
	Datum values[1] = {PointerGetDatum(value)};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	int rc = SPI_execute_with_args(query, 1, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not store the masking secret: SPI code %d", rc);
	SPI_finish();

	sodium_memzero(VARDATA(value), privacy::core::kMaskKeyBytes);
	pfree(value);
	privacy::pg::InvalidateMaskingSecret();
}

// RequireSuperuser raises 42501 unless the current user is a superuser.
void
RequireSuperuser(const char *action) {
	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied to %s", action),
		                errhint("Only a superuser can %s.", action)));
}

// InitMaskingSecretImpl creates the secret at CREATE EXTENSION (no-op when
// one exists).
Datum
InitMaskingSecretImpl(FunctionCallInfo fcinfo) {
	RequireSuperuser("create the masking secret");
	InsertNewSecret(true);
	PG_RETURN_VOID();
}

// RotateMaskingSecretImpl replaces the secret: every keyed mask (pseudonym,
// noise, shift_date, fake_*) gives new values from the next statement on.
Datum
RotateMaskingSecretImpl(FunctionCallInfo fcinfo) {
	RequireSuperuser("rotate the masking secret");
	InsertNewSecret(false);
	PG_RETURN_VOID();
}

// MaskingSecretTriggerImpl is the trigger of privacy._masking_secret: BEFORE
// INSERT FOR EACH ROW it deletes the existing row (one secret per database;
// a restored row replaces the one CREATE EXTENSION made); AFTER UPDATE,
// DELETE or TRUNCATE FOR EACH STATEMENT it only invalidates cached copies.
Datum
MaskingSecretTriggerImpl(FunctionCallInfo fcinfo) {
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("privacy._masking_secret_trigger() must be called as a trigger")));
	TriggerData *trigdata = (TriggerData *)fcinfo->context;
	HeapTuple result = NULL;
	if (TRIGGER_FIRED_BEFORE(trigdata->tg_event) && TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) &&
	    TRIGGER_FIRED_BY_INSERT(trigdata->tg_event)) {
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		int rc = SPI_execute("DELETE FROM privacy._masking_secret", false, 0);
		if (rc != SPI_OK_DELETE)
			elog(ERROR, "could not replace the masking secret: SPI code %d", rc);
		SPI_finish();
		result = trigdata->tg_trigtuple;
	}
	privacy::pg::InvalidateMaskingSecret();
	return PointerGetDatum(result);
}

} // namespace

PRIVACY_FUNCTION(_init_masking_secret, InitMaskingSecretImpl)
PRIVACY_FUNCTION(rotate_masking_secret, RotateMaskingSecretImpl)
PRIVACY_FUNCTION(_masking_secret_trigger, MaskingSecretTriggerImpl)
