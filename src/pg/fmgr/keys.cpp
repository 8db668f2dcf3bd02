// keys.cpp: key and token-format administration.
//
//  privacy.create_key(name)              random 256-bit key, version 1
//  privacy.rotate_key(name)              random key, next version
//  privacy.import_key(name, material, material_file, material_command)
//                                        given material, next version
//  privacy.drop_key(name, force)         crypto-shredding of every version
//                                        (force when formats use it)
//  privacy.rewrap_keys()                 every data key and the masking secret
//                                        re-wrapped under the configured master
//                                        key (master-key rotation)
//  privacy.create_token_format(...)      a custom token format
//  privacy._invalidate_keys()            cache invalidation for SQL admin code
//
// Who may call them (doc/privileges.md): create_key, rotate_key, drop_key and
// create_token_format check CheckPolicyAdmin (superusers and members of
// privacy.admin_role); import_key and rewrap_keys are superuser-only
// (RequireSuperuser: the role the session runs as, after SET ROLE, and the
// current user must both be superusers, never inside a security-restricted
// operation). Refusals are 42501 with a hint.
// Key material exists unwrapped only in sodium_malloc'd memory, wiped before
// any error is raised; every stored wrapped key records the id of the master
// key that wrapped it. import_key's statement may carry key material, so
// every error it raises, including PostgreSQL's, hides the statement and its
// context.
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/masking_secret.hpp"
#include "pg/catalog/privileges.hpp"
#include "pg/fmgr/audit_trigger.hpp"
#include "pg/keys/key_cache.hpp"
#include "pg/keys/key_wrap.hpp"
#include "pg/keys/master_key.hpp"
#include "privacy/core/token_format.hpp"

#include <sodium.h>

#include <memory>
#include <utility>

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

namespace privacy::pg {

namespace {

constexpr size_t kMaxNameBytes = 63;

void
CheckKeyAdmin(const char *action) {
	CheckPolicyAdmin(action, InvalidOid);
}

// NameArg holds the whole messages refusing one kind of name argument.
struct NameArg {
	const char *null_message;
	const char *length_message;
};

const NameArg kKeyName = {gettext_noop("key name must not be null"),
                          gettext_noop("key name must have 1 to 63 bytes")};
const NameArg kFormatName = {gettext_noop("token format name must not be null"),
                             gettext_noop("token format name must have 1 to 63 bytes")};

// ArgName returns argument i as a C string, checking null, empty and length.
char *
ArgName(FunctionCallInfo fcinfo, int i, const NameArg &what) {
	if (PG_ARGISNULL(i))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s", _(what.null_message)),
		                errhidestmt(true), errhidecontext(true)));
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(i));
	if (name[0] == '\0' || strlen(name) > kMaxNameBytes)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", _(what.length_message)),
		         errhidestmt(true), errhidecontext(true)));
	return name;
}

// NewestVersion returns the newest version of key name, 0 when none (SPI
// connected). Not read-only: a fresh snapshot sees versions added earlier in
// the same statement (two rotate_key calls in one SELECT).
int32
NewestVersion(const char *name) {
	Oid types[1] = {TEXTOID};
	Datum values[1] = {CStringGetTextDatum(name)};
	int rc = SPI_execute_with_args(
	        "SELECT pg_catalog.max(version) FROM privacy._key WHERE name OPERATOR(pg_catalog.=) $1",
	        1, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading privacy._key failed");
	bool isnull;
	Datum v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt32(v);
}

// CheckSlotFree raises 55000 when a live version of key name shares the card
// version slot (version - 1) mod 9 of the new version: a card token carries
// only its slot, so two live versions in one slot would make a token
// detokenize with the wrong key (SPI connected).
void
CheckSlotFree(const char *name, int32 version) {
	Oid types[2] = {TEXTOID, INT4OID};
	Datum values[2] = {CStringGetTextDatum(name), Int32GetDatum(version)};
	int rc = SPI_execute_with_args("SELECT pg_catalog.max(version) FROM privacy._key WHERE name "
	                               "OPERATOR(pg_catalog.=) $1 AND (version OPERATOR(pg_catalog.-) "
	                               "$2) OPERATOR(pg_catalog.%) 9 OPERATOR(pg_catalog.=) 0",
	                               2, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading privacy._key failed");
	bool isnull;
	Datum held = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return;
	int32 live = DatumGetInt32(held);
	ereport(ERROR,
	        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
	         errmsg("version %d of data key \"%s\" would share card version slot %d with live "
	                "version %d",
	                version, name, (version - 1) % 9, live),
	         errdetail("Card tokens carry their key version modulo 9; two live versions in one "
	                   "slot would make tokens of the older one detokenize to a different value."),
	         errhint("Move the tokens of version %d to the newest version with "
	                 "privacy.retokenize(), drop it with privacy.drop_key_version(), then rotate "
	                 "again.",
	                 live),
	         errhidestmt(true), errhidecontext(true)));
}

// HasMasterKeyIds reports whether privacy._key has the master_key_id column
// (a 0.1.0 database not yet updated has not).
bool
HasMasterKeyIds() {
	Oid table = PrivacyTable("_key");
	return OidIsValid(table) && get_attnum(table, "master_key_id") != InvalidAttrNumber;
}

// StoreVersion wraps material under the master key and inserts it with the
// master key's id (SPI connected).
void
StoreVersion(const char *name, int32 version, const unsigned char *material, size_t len) {
	MasterKeys keys{};
	LoadCurrentMasterKey(&keys);
	bytea *wrapped = NULL;
	// WrapDataKey may raise (a name too long): free the master key first
	struct WrapArgs {
		const char *name;
		int32 version;
		const unsigned char *material;
		size_t len;
		const unsigned char *master;
		bytea *wrapped;
	} wrap{name, version, material, len, keys.current, NULL};
	ErrorData *edata = TryPg(
	        [](void *p) {
		        WrapArgs *w = (WrapArgs *)p;
		        w->wrapped = WrapDataKey(w->name, w->version, w->material, w->len, w->master);
	        },
	        &wrap);
	FreeMasterKeys(&keys);
	if (edata != NULL)
		ReThrowError(edata);
	wrapped = wrap.wrapped;
	const char *algorithm = len == 16 ? "aes-128" : len == 24 ? "aes-192" : "aes-256";
	Oid types[5] = {TEXTOID, INT4OID, TEXTOID, BYTEAOID, TEXTOID};
	Datum values[5] = {CStringGetTextDatum(name), Int32GetDatum(version),
	                   CStringGetTextDatum(algorithm), PointerGetDatum(wrapped),
	                   CStringGetTextDatum(keys.current_id)};
	int rc = HasMasterKeyIds()
	                 ? SPI_execute_with_args("INSERT INTO privacy._key (name, version, algorithm, "
	                                         "wrapped, created_at, master_key_id) VALUES ($1, $2, "
	                                         "$3, $4, pg_catalog.now(), $5)",
	                                         5, types, values, NULL, false, 0)
	                 : SPI_execute_with_args(
	                           "INSERT INTO privacy._key (name, version, algorithm, wrapped, "
	                           "created_at) VALUES ($1, $2, $3, $4, pg_catalog.now())",
	                           4, types, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "storing the data key failed: %s", SPI_result_code_string(rc));
	InvalidateKeyCache();
}

enum class NewKeyMode { kCreate, kRotate, kImport };

struct NewKeyArgs {
	const char *name;
	NewKeyMode mode;
	const unsigned char *material; // import only
	size_t len;
	int32 version; // result
};

// AddVersion creates, rotates or imports (C-style; may raise).
void
AddVersion(void *arg) {
	NewKeyArgs *args = (NewKeyArgs *)arg;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	int32 newest = NewestVersion(args->name);
	if (args->mode == NewKeyMode::kCreate && newest != 0)
		ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT),
		                errmsg("data key \"%s\" already exists", args->name),
		                errhint("Use privacy.rotate_key() to add a version."), errhidestmt(true),
		                errhidecontext(true)));
	if (args->mode == NewKeyMode::kRotate && newest == 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
		                errmsg("data key \"%s\" does not exist", args->name),
		                errhint("Create it with privacy.create_key()."), errhidestmt(true),
		                errhidecontext(true)));
	int32 version = newest + 1;
	CheckSlotFree(args->name, version);
	if (args->mode == NewKeyMode::kImport) {
		StoreVersion(args->name, version, args->material, args->len);
	} else {
		unsigned char *material = (unsigned char *)sodium_malloc(32);
		if (material == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of secure memory")));
		randombytes_buf(material, 32);
		ErrorData *edata = NULL;
		struct StoreArgs {
			const char *name;
			int32 version;
			unsigned char *material;
		} store{args->name, version, material};
		edata = TryPg(
		        [](void *p) {
			        StoreArgs *s = (StoreArgs *)p;
			        StoreVersion(s->name, s->version, s->material, 32);
		        },
		        &store);
		sodium_free(material);
		if (edata != NULL)
			ReThrowError(edata);
	}
	SPI_finish();
	args->version = version;
}

// RunHidden runs fn(arg) and re-raises any error with the statement and
// context hidden from the server log.
void
RunHidden(void (*fn)(void *), void *arg) {
	ErrorData *edata = TryPg(fn, arg);
	if (edata != NULL) {
		edata->hide_stmt = true;
		edata->hide_ctx = true;
		ReThrowError(edata);
	}
}

Datum
CreateKeyImpl(FunctionCallInfo fcinfo) {
	CheckKeyAdmin("create data keys");
	NewKeyArgs args{ArgName(fcinfo, 0, kKeyName), NewKeyMode::kCreate, NULL, 0, 0};
	RunHidden(AddVersion, &args);
	PG_RETURN_INT32(args.version);
}

Datum
RotateKeyImpl(FunctionCallInfo fcinfo) {
	CheckKeyAdmin("rotate data keys");
	NewKeyArgs args{ArgName(fcinfo, 0, kKeyName), NewKeyMode::kRotate, NULL, 0, 0};
	RunHidden(AddVersion, &args);
	PG_RETURN_INT32(args.version);
}

struct ImportArgs {
	FunctionCallInfo fcinfo;
	int32 version;
};

// RequireSuperuser raises 42501 unless both the session's role and the
// current user are superusers, outside any security-restricted operation
// (so neither a SECURITY DEFINER function of a superuser nor code a table
// owner left for a superuser's maintenance command can reach the caller's
// action).
void
RequireSuperuser(const char *denied, const char *hint) {
	if (InSecurityRestrictedOperation() || !superuser() || !superuser_arg(GetOuterUserId()))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", _(denied)),
		                errhint("%s", _(hint)), errhidestmt(true), errhidecontext(true)));
}

// OptionalText returns argument i as a C string, NULL when it is null or
// absent (an import_key of a 0.1.0 database not yet updated has two).
char *
OptionalText(FunctionCallInfo fcinfo, int i) {
	if (PG_NARGS() <= i || PG_ARGISNULL(i))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

void
ImportKeyBody(void *arg) {
	ImportArgs *import = (ImportArgs *)arg;
	FunctionCallInfo fcinfo = import->fcinfo;
	// importing key material stays superuser-only (the rule): it
	// names files and commands the server runs, or carries the material
	RequireSuperuser(gettext_noop("permission denied to import data keys"),
	                 gettext_noop("Only superusers can import key material."));
	char *name = ArgName(fcinfo, 0, kKeyName);
	char *file = OptionalText(fcinfo, 2);
	char *command = OptionalText(fcinfo, 3);
	unsigned char *secure = NULL;
	size_t len = 0;
	if (!PG_ARGISNULL(1)) {
		if (file != NULL || command != NULL)
			ereport(ERROR,
			        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			         errmsg("material, material_file and material_command are exclusive"),
			         errhint("Pass only one of them."), errhidestmt(true), errhidecontext(true)));
		bytea *material = PG_GETARG_BYTEA_PP(1);
		len = VARSIZE_ANY_EXHDR(material);
		bool copied = (Pointer)material != DatumGetPointer(PG_GETARG_DATUM(1));
		if (len == 16 || len == 24 || len == 32) {
			secure = (unsigned char *)sodium_malloc(len);
			if (secure != NULL)
				memcpy(secure, VARDATA_ANY(material), len);
		}
		// a detoasted copy of the argument is ours: wipe it (the literal
		// itself belongs to the statement; see doc/tokenization.md)
		if (copied)
			sodium_memzero(VARDATA_ANY(material), VARSIZE_ANY_EXHDR(material));
		if (len != 16 && len != 24 && len != 32)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("key material must be 16, 24 or 32 bytes"), errhidestmt(true),
			                errhidecontext(true), errhidecontext(true)));
		if (secure == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of secure memory")));
	} else {
		// from a file or a command: the key never appears in a query text
		secure = ReadKeyMaterial(file, command, &len);
	}
	NewKeyArgs args{name, NewKeyMode::kImport, secure, len, 0};
	ErrorData *edata = TryPg(AddVersion, &args);
	sodium_free(secure);
	if (edata != NULL)
		ReThrowError(edata);
	import->version = args.version;
}

Datum
ImportKeyImpl(FunctionCallInfo fcinfo) {
	ImportArgs args{fcinfo, 0};
	RunHidden(ImportKeyBody, &args);
	PG_RETURN_INT32(args.version);
}

Datum
DropKeyImpl(FunctionCallInfo fcinfo) {
	CheckKeyAdmin("drop data keys");
	char *name = ArgName(fcinfo, 0, kKeyName);
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("force must not be null"),
		                errhidestmt(true), errhidecontext(true)));
	bool force = PG_GETARG_BOOL(1);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	Oid types[1] = {TEXTOID};
	Datum values[1] = {CStringGetTextDatum(name)};
	// a key that token formats use (the built-in formats use "default") is
	// shredded only on purpose: force => true
	int rc = SPI_execute_with_args(
	        "SELECT pg_catalog.string_agg(f.name, ', ' ORDER BY f.name) FROM privacy._token_format "
	        "f WHERE f.key_name OPERATOR(pg_catalog.=) $1",
	        1, types, values, NULL, true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the token formats failed: %s", SPI_result_code_string(rc));
	char *formats = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (formats != NULL && !force)
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_IN_USE),
		         errmsg("data key \"%s\" is used by token formats", name),
		         errdetail("Formats: %s. Tokens of these formats could never be detokenized again.",
		                   formats),
		         errhint("Call privacy.drop_key(name, force => true) to crypto-shred it anyway "
		                 "(custom formats can be dropped first with privacy.drop_token_format)."),
		         errhidestmt(true), errhidecontext(true)));
	rc = SPI_execute_with_args("DELETE FROM privacy._key WHERE name OPERATOR(pg_catalog.=) $1", 1,
	                           types, values, NULL, false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "deleting the data key failed: %s", SPI_result_code_string(rc));
	uint64 deleted = SPI_processed;
	// formats of the key go back to "the key's oldest version": a key created
	// again under this name starts at version 1
	// (a 0.1.0 database not yet updated has no format versions)
	if (deleted > 0 && OidIsValid(PrivacyTable("_token_format_version"))) {
		rc = SPI_execute_with_args("SELECT privacy._forget_format_versions($1)", 1, types, values,
		                           NULL, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "resetting the token format versions failed: %s",
			     SPI_result_code_string(rc));
	}
	SPI_finish();
	if (deleted == 0)
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("data key \"%s\" does not exist", name),
		         errhidestmt(true), errhidecontext(true)));
	InvalidateKeyCache();
	ereport(WARNING, (errmsg("data key \"%s\" was destroyed (%llu versions): tokens made with it "
	                         "can never be detokenized again",
	                         name, (unsigned long long)deleted),
	                  errdetail("This is crypto-shredding; it cannot be undone except by restoring "
	                            "a backup that holds the key.")));
	PG_RETURN_VOID();
}

// RewrapState is what RewrapBody holds while it runs: plain data, freed by
// RewrapKeysImpl whatever happens.
struct RewrapState {
	MasterKeys keys;
	unsigned char *material; // the data key or masking secret being moved
	int32 rewrapped;
};

// RewrapOne is a copied row of privacy._key.
struct RewrapRow {
	char *name;
	int32 version;
	bytea *wrapped;
	char *master_key_id;
};

// RewrapBody re-wraps every data key version and the masking secret not yet
// wrapped under the current master key (C-style; may raise).
void
RewrapBody(void *arg) {
	RewrapState *st = (RewrapState *)arg;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	// serializes with create_key, rotate_key, import_key, drop_key (row
	// exclusive), rotate_masking_secret and another rewrap; readers go on
	int rc = SPI_execute(
	        "LOCK TABLE privacy._key, privacy._masking_secret IN SHARE ROW EXCLUSIVE MODE", false,
	        0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "locking the key tables failed: %s", SPI_result_code_string(rc));
	rc = SPI_execute(
	        "SELECT name, version, wrapped, master_key_id FROM privacy._key ORDER BY name, version",
	        false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading privacy._key failed: %s", SPI_result_code_string(rc));
	uint64 nrows = SPI_processed;
	RewrapRow *rows = (RewrapRow *)palloc0(sizeof(RewrapRow) * (nrows + 1));
	for (uint64 i = 0; i < nrows; i++) {
		HeapTuple tup = SPI_tuptable->vals[i];
		TupleDesc desc = SPI_tuptable->tupdesc;
		bool isnull;
		rows[i].name = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		rows[i].version = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		rows[i].wrapped = DatumGetByteaPCopy(SPI_getbinval(tup, desc, 3, &isnull));
		Datum id = SPI_getbinval(tup, desc, 4, &isnull);
		rows[i].master_key_id = isnull ? NULL : TextDatumGetCString(id);
	}
	SPI_freetuptable(SPI_tuptable);

	LoadCurrentMasterKey(&st->keys);
	LoadPreviousMasterKey(&st->keys);
	const char *current_id = st->keys.current_id;
	for (uint64 i = 0; i < nrows; i++) {
		if (rows[i].master_key_id != NULL && strcmp(rows[i].master_key_id, current_id) == 0)
			continue;
		size_t len = 0;
		st->material = UnwrapStoredKey(&st->keys, rows[i].name, rows[i].version, rows[i].wrapped,
		                               rows[i].master_key_id, &len);
		if (st->material == NULL)
			ReportUnwrapFailure(
			        psprintf("data key \"%s\" version %d", rows[i].name, rows[i].version),
			        rows[i].master_key_id, &st->keys);
		bytea *wrapped =
		        WrapDataKey(rows[i].name, rows[i].version, st->material, len, st->keys.current);
		sodium_free(st->material);
		st->material = NULL;
		Oid types[4] = {TEXTOID, INT4OID, BYTEAOID, TEXTOID};
		Datum values[4] = {CStringGetTextDatum(rows[i].name), Int32GetDatum(rows[i].version),
		                   PointerGetDatum(wrapped), CStringGetTextDatum(current_id)};
		rc = SPI_execute_with_args(
		        "UPDATE privacy._key SET wrapped = $3, master_key_id = $4 WHERE name "
		        "OPERATOR(pg_catalog.=) $1 AND version OPERATOR(pg_catalog.=) $2",
		        4, types, values, NULL, false, 0);
		if (rc != SPI_OK_UPDATE || SPI_processed != 1)
			elog(ERROR, "re-wrapping the data key failed: %s", SPI_result_code_string(rc));
		st->rewrapped++;
	}

	rc = SPI_execute("SELECT secret, master_key_id FROM privacy._masking_secret", false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the masking secret failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1) {
		HeapTuple tup = SPI_tuptable->vals[0];
		TupleDesc desc = SPI_tuptable->tupdesc;
		bool isnull;
		bytea *stored = DatumGetByteaPP(SPI_getbinval(tup, desc, 1, &isnull));
		Datum id_datum = SPI_getbinval(tup, desc, 2, &isnull);
		char *stored_id = isnull ? NULL : TextDatumGetCString(id_datum);
		if (stored_id == NULL || strcmp(stored_id, current_id) != 0) {
			st->material = (unsigned char *)sodium_malloc(32);
			if (st->material == NULL)
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of secure memory")));
			bool ok;
			if (stored_id == NULL && VARSIZE_ANY_EXHDR(stored) == 32) {
				// stored in clear (no master key when it was made, or 0.1.0)
				memcpy(st->material, VARDATA_ANY(stored), 32);
				ok = true;
			} else {
				ok = UnwrapStoredSecret(&st->keys, stored, stored_id, st->material);
			}
			// the copies SPI made of the row
			sodium_memzero(VARDATA_ANY(stored), VARSIZE_ANY_EXHDR(stored));
			SPI_freetuptable(SPI_tuptable);
			if (!ok)
				ReportUnwrapFailure("the masking secret", stored_id, &st->keys);
			bytea *wrapped = WrapMaskingSecret(st->material, st->keys.current);
			sodium_free(st->material);
			st->material = NULL;
			Oid types[2] = {BYTEAOID, TEXTOID};
			Datum values[2] = {PointerGetDatum(wrapped), CStringGetTextDatum(current_id)};
			rc = SPI_execute_with_args(
			        "UPDATE privacy._masking_secret SET secret = $1, master_key_id = $2", 2, types,
			        values, NULL, false, 0);
			if (rc != SPI_OK_UPDATE || SPI_processed != 1)
				elog(ERROR, "re-wrapping the masking secret failed: %s",
				     SPI_result_code_string(rc));
			WritePolicyAudit("rewrap masking_secret", "privacy._masking_secret",
			                 stored_id != NULL ? psprintf("master_key_id=%s", stored_id)
			                                   : "master_key_id=NULL",
			                 psprintf("master_key_id=%s", current_id));
			st->rewrapped++;
		}
	}
	SPI_finish();
}

// RewrapKeysImpl moves every wrapped key to the configured master key; all
// or nothing (one transaction; any failure raises before it commits).
Datum
RewrapKeysImpl(FunctionCallInfo fcinfo) {
	RequireSuperuser(gettext_noop("permission denied to re-wrap keys"),
	                 gettext_noop("Only superusers can re-wrap keys under a new master key."));
	RewrapState st{};
	ErrorData *edata = TryPg(RewrapBody, &st);
	FreeMasterKeys(&st.keys);
	if (st.material != NULL)
		sodium_free(st.material);
	if (edata != NULL) {
		edata->hide_stmt = true;
		edata->hide_ctx = true;
		ReThrowError(edata);
	}
	InvalidateKeyCache();
	InvalidateMaskingSecret();
	ereport(LOG, (errmsg("pg_privacy: %d wrapped keys moved to master key %s", st.rewrapped,
	                     st.keys.current_id),
	              errhidestmt(true), errhidecontext(true)));
	PG_RETURN_INT32(st.rewrapped);
}

Datum
InvalidateKeysImpl(FunctionCallInfo fcinfo) {
	InvalidateKeyCache();
	PG_RETURN_VOID();
}

// ValidateFormat builds and discards a core TokenFormat (C++ only): throws
// the core error that describes a bad alphabet or passthrough set.
void
ValidateFormat(const char *name, const char *alphabet, const char *passthrough, int32 keep_prefix,
               int32 keep_suffix) {
	core::TokenFormatSpec spec;
	spec.name = name;
	spec.alphabet = alphabet;
	spec.passthrough = passthrough;
	spec.keep_prefix = (size_t)keep_prefix;
	spec.keep_suffix = (size_t)keep_suffix;
	core::TokenFormat format(std::move(spec));
}

Datum
CreateTokenFormatImpl(FunctionCallInfo fcinfo) {
	CheckKeyAdmin("create token formats");
	char *name = ArgName(fcinfo, 0, kFormatName);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4) || PG_ARGISNULL(5))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("alphabet, key, passthrough and kept counts must not be null"),
		                errhidestmt(true), errhidecontext(true)));
	char *alphabet = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char *key = ArgName(fcinfo, 2, kKeyName);
	char *passthrough = text_to_cstring(PG_GETARG_TEXT_PP(3));
	int32 keep_prefix = PG_GETARG_INT32(4);
	int32 keep_suffix = PG_GETARG_INT32(5);
	if (keep_prefix < 0 || keep_suffix < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("kept counts must not be negative"), errhidestmt(true),
		                errhidecontext(true)));
	ValidateFormat(name, alphabet, passthrough, keep_prefix, keep_suffix);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	Oid types[6] = {TEXTOID, TEXTOID, TEXTOID, INT4OID, INT4OID, TEXTOID};
	Datum values[6] = {CStringGetTextDatum(name),        CStringGetTextDatum(alphabet),
	                   CStringGetTextDatum(passthrough), Int32GetDatum(keep_prefix),
	                   Int32GetDatum(keep_suffix),       CStringGetTextDatum(key)};
	int rc = SPI_execute_with_args(
	        "SELECT 1 FROM privacy._token_format WHERE name OPERATOR(pg_catalog.=) $1", 1, types,
	        values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading privacy._token_format failed");
	if (SPI_processed > 0)
		ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT),
		                errmsg("token format \"%s\" already exists", name), errhidestmt(true),
		                errhidecontext(true)));
	rc = SPI_execute_with_args(
	        "INSERT INTO privacy._token_format (name, kind, alphabet, passthrough, keep_prefix, "
	        "keep_suffix, min_chars, max_chars, key_name, builtin, created_at) VALUES ($1, "
	        "'plain', $2, $3, $4, $5, 0, 0, $6, false, pg_catalog.now())",
	        6, types, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "storing the token format failed: %s", SPI_result_code_string(rc));
	// a new format records the key's newest version: its tokens start there,
	// not on the oldest version (a 0.1.0 database not yet updated has no
	// format versions)
	if (OidIsValid(PrivacyTable("_token_format_version"))) {
		rc = SPI_execute_with_args("SELECT privacy._set_format_version($1, k.newest) FROM (SELECT "
		                           "pg_catalog.max(version) AS newest FROM privacy._key WHERE name "
		                           "OPERATOR(pg_catalog.=) $6) k WHERE k.newest IS NOT NULL",
		                           6, types, values, NULL, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "recording the token format's key version failed: %s",
			     SPI_result_code_string(rc));
	}
	SPI_finish();
	InvalidateKeyCache();
	PG_RETURN_VOID();
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(create_key, privacy::pg::CreateKeyImpl)
PRIVACY_FUNCTION(rotate_key, privacy::pg::RotateKeyImpl)
PRIVACY_FUNCTION(import_key, privacy::pg::ImportKeyImpl)
PRIVACY_FUNCTION(drop_key, privacy::pg::DropKeyImpl)
PRIVACY_FUNCTION(rewrap_keys, privacy::pg::RewrapKeysImpl)
PRIVACY_FUNCTION(_invalidate_keys, privacy::pg::InvalidateKeysImpl)
PRIVACY_FUNCTION(create_token_format, privacy::pg::CreateTokenFormatImpl)
