// masking_secret.cpp: SQL functions that create and rotate the database's
// masking secret, and the trigger that keeps privacy._masking_secret to one
// row and invalidates every backend's cached copy when it changes.
//
// The secret is 32 bytes from libsodium's CSPRNG (randombytes_buf), made in
// sodium_malloc'd memory and stored wrapped under the master key (with the
// master key's id), like the data keys; only when no master key is
// configured is it stored in clear, with a WARNING (privacy.rewrap_keys()
// wraps it later). It is written through SPI as a bytea parameter (never
// spliced into query text), and nothing here ever prints it. Restore:
// CREATE EXTENSION creates a fresh secret, then pg_restore's COPY of the
// configuration table inserts the dumped (wrapped) one, and the trigger
// replaces the fresh row with it, so pseudonyms survive dump/restore when the
// same master key is configured (and fail with 55000 under another).
#include "pg/catalog/masking_secret.hpp"
#include "pg/catalog/extension_schema.hpp"

#include "pg/boundary/boundary.hpp"
#include "pg/keys/key_wrap.hpp"
#include "pg/keys/master_key.hpp"

#include <sodium.h>

extern "C" {
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/resowner.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

namespace {

// HasMasterKeyIds reports whether privacy._masking_secret records master key
// ids (a 0.1.0 database not yet updated does not: the secret stays clear).
bool
HasMasterKeyIds() {
	Oid table = privacy::pg::PrivacyTable("_masking_secret");
	return OidIsValid(table) && get_attnum(table, "master_key_id") != InvalidAttrNumber;
}

struct NewSecret {
	unsigned char *clear; // sodium_malloc'd
	bytea *stored;        // what goes into the table
	char id[17];          // "" when stored in clear
};

// MakeStored wraps st->clear under the master key into st->stored (C-style;
// may raise; the master key is freed on every path).
void
MakeStored(void *arg) {
	NewSecret *st = (NewSecret *)arg;
	privacy::pg::MasterKeys keys{};
	privacy::pg::LoadCurrentMasterKey(&keys);
	st->stored = privacy::pg::WrapMaskingSecret(st->clear, keys.current); // palloc only
	privacy::pg::FreeMasterKeys(&keys);
	strlcpy(st->id, keys.current_id, sizeof(st->id));
}

// InsertNewSecret stores a fresh random secret, wrapped under the master key
// when one is configured; with only_if_missing it does nothing when a secret
// already exists. The trigger deletes the old row.
void
InsertNewSecret(bool only_if_missing) {
	NewSecret st{};
	st.clear = (unsigned char *)sodium_malloc(privacy::core::kMaskKeyBytes);
	if (st.clear == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of secure memory")));
	randombytes_buf(st.clear, privacy::core::kMaskKeyBytes);
	// a 0.1.0 table (CREATE EXTENSION ... VERSION '0.1.0') keeps the secret
	// in clear as 0.1.0 did: the update to 0.2.0 wraps it
	bool has_ids = HasMasterKeyIds();
	bool wrap = has_ids && privacy::pg::MasterKeyConfigured(privacy::pg::MasterKeySlot::kCurrent);
	ErrorData *edata = NULL;
	if (wrap)
		edata = privacy::pg::TryPg(MakeStored, &st);
	else {
		st.stored = (bytea *)palloc(VARHDRSZ + privacy::core::kMaskKeyBytes);
		SET_VARSIZE(st.stored, VARHDRSZ + privacy::core::kMaskKeyBytes);
		memcpy(VARDATA(st.stored), st.clear, privacy::core::kMaskKeyBytes);
	}
	sodium_free(st.clear);
	if (edata != NULL)
		ReThrowError(edata);

	Oid argtypes[2] = {BYTEAOID, TEXTOID};
	Datum values[2] = {PointerGetDatum(st.stored), wrap ? CStringGetTextDatum(st.id) : (Datum)0};
	const char *query;
	if (wrap)
		query = only_if_missing
		                ? "INSERT INTO privacy._masking_secret (secret, master_key_id) SELECT $1, "
		                  "$2 WHERE NOT EXISTS (SELECT FROM privacy._masking_secret)"
		                : "INSERT INTO privacy._masking_secret (secret, master_key_id) VALUES ($1, "
		                  "$2)";
	else
		query = only_if_missing ? "INSERT INTO privacy._masking_secret (secret) SELECT $1 WHERE "
		                          "NOT EXISTS (SELECT FROM privacy._masking_secret)"
		                        : "INSERT INTO privacy._masking_secret (secret) VALUES ($1)";

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	int rc = SPI_execute_with_args(query, wrap ? 2 : 1, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not store the masking secret: SPI code %d", rc);
	bool inserted = SPI_processed > 0;
	SPI_finish();

	sodium_memzero(VARDATA(st.stored), VARSIZE(st.stored) - VARHDRSZ);
	pfree(st.stored);
	privacy::pg::InvalidateMaskingSecret();
	if (inserted && has_ids && !wrap)
		ereport(WARNING,
		        (errmsg("the masking secret is stored unwrapped: no master key is configured"),
		         errdetail("Anyone with a copy of the database (a dump, a backup, WAL) can compute "
		                   "its pseudonyms, fake values and date shifts."),
		         errhint("Set privacy.master_key_file or privacy.master_key_command, reload, and "
		                 "run SELECT privacy.rewrap_keys().")));
}

// WrapClearSecretBody wraps a secret stored in clear under the master key
// (C-style; may raise).
void
WrapClearSecretBody(void *arg) {
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	int rc = SPI_execute(
	        "SELECT secret FROM privacy._masking_secret WHERE master_key_id IS NULL FOR UPDATE",
	        false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the masking secret failed: SPI code %d", rc);
	if (SPI_processed == 1) {
		bool isnull;
		bytea *clear = DatumGetByteaPP(
		        SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (VARSIZE_ANY_EXHDR(clear) == privacy::core::kMaskKeyBytes) {
			NewSecret st{};
			st.clear = (unsigned char *)sodium_malloc(privacy::core::kMaskKeyBytes);
			if (st.clear == NULL)
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of secure memory")));
			memcpy(st.clear, VARDATA_ANY(clear), privacy::core::kMaskKeyBytes);
			sodium_memzero(VARDATA_ANY(clear), privacy::core::kMaskKeyBytes);
			ErrorData *edata = privacy::pg::TryPg(MakeStored, &st);
			sodium_free(st.clear);
			if (edata != NULL)
				ReThrowError(edata);
			Oid argtypes[2] = {BYTEAOID, TEXTOID};
			Datum values[2] = {PointerGetDatum(st.stored), CStringGetTextDatum(st.id)};
			rc = SPI_execute_with_args(
			        "UPDATE privacy._masking_secret SET secret = $1, master_key_id = $2", 2,
			        argtypes, values, NULL, false, 0);
			if (rc != SPI_OK_UPDATE)
				elog(ERROR, "could not store the masking secret: SPI code %d", rc);
		}
	}
	SPI_finish();
}

// WrapMaskingSecretImpl (privacy._wrap_masking_secret(), run by the 0.1.0 to
// 0.2.0 update) wraps a secret stored in clear under the configured master
// key, keeping its value (pseudonyms do not change). Without a master key,
// or when it cannot be read, it warns and leaves the secret as it is: the
// update must not fail for a database that only masks.
Datum
WrapMaskingSecretImpl(FunctionCallInfo fcinfo) {
	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("permission denied to wrap the masking secret"),
		                errhint("Only a superuser can wrap the masking secret.")));
	if (!privacy::pg::MasterKeyConfigured(privacy::pg::MasterKeySlot::kCurrent)) {
		ereport(WARNING, (errmsg("the masking secret stays unwrapped: no master key is configured"),
		                  errhint("Set privacy.master_key_file or privacy.master_key_command, "
		                          "reload, and run SELECT privacy.rewrap_keys().")));
		PG_RETURN_BOOL(false);
	}
	// in a subtransaction: a failure (a missing or unreadable key file, a
	// failing command) rolls back what it did and becomes a warning
	MemoryContext context = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool wrapped = false;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(context);
	PG_TRY();
	{
		WrapClearSecretBody(NULL);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(context);
		CurrentResourceOwner = owner;
		wrapped = true;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(context);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(context);
		CurrentResourceOwner = owner;
		ereport(WARNING, (errmsg("the masking secret stays unwrapped: %s", edata->message),
		                  errhint("Fix the master key configuration and run SELECT "
		                          "privacy.rewrap_keys().")));
	}
	PG_END_TRY();
	if (!wrapped)
		PG_RETURN_BOOL(false);
	privacy::pg::InvalidateMaskingSecret();
	PG_RETURN_BOOL(true);
}

// RequireSuperuser raises 42501 (with `denied` and `hint`, whole messages)
// unless the current user is a superuser.
void
RequireSuperuser(const char *denied, const char *hint) {
	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", _(denied)),
		                errhint("%s", _(hint))));
}

// InitMaskingSecretImpl creates the secret at CREATE EXTENSION (no-op when
// one exists).
Datum
InitMaskingSecretImpl(FunctionCallInfo fcinfo) {
	RequireSuperuser(gettext_noop("permission denied to create the masking secret"),
	                 gettext_noop("Only a superuser can create the masking secret."));
	InsertNewSecret(true);
	PG_RETURN_VOID();
}

// RotateMaskingSecretImpl replaces the secret: every keyed mask (pseudonym,
// noise, shift_date, fake_*) gives new values from the next statement on.
Datum
RotateMaskingSecretImpl(FunctionCallInfo fcinfo) {
	RequireSuperuser(gettext_noop("permission denied to rotate the masking secret"),
	                 gettext_noop("Only a superuser can rotate the masking secret."));
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
PRIVACY_FUNCTION(_wrap_masking_secret, WrapMaskingSecretImpl)
