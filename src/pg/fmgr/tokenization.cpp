// tokenization.cpp: the SQL entry points of tokenization.
//
//  privacy.tokenize(value, format)            deterministic FF1 token
//  privacy.tokenize(values[], format)         the same for an array, through the
//                                             batch path (TokenFormat::TokenizeMany)
//  privacy.detokenize(token, format [, key_version])  privileged, audited
//  privacy.fpe_encrypt/fpe_decrypt(...)       raw FF1 / FF3-1 with a data key
//                                             (fpe_decrypt audited; a format's
//                                             tweak is refused)
//  privacy._token_key_version(token, format)  version a token was made with
//  privacy._retokenize_value(token, format [, from_version])
//                                             same value, newest key version
//  privacy._retokenize_values(tokens[], format, from_version, to_version)
//                                             the same for an array (batch path;
//                                             non-card retokenize uses it)
//  privacy._retokenize_ticket(format, to_version)
//                                             admits the next two in this
//                                             transaction (policy admins only)
//  privacy._retokenize_in_place(token, format, ticket)
//  privacy._retokenize_needed(token, format, ticket)
//                                             the card retokenize UPDATE, run
//                                             as the table's owner: callable
//                                             only with the ticket
//
// Key versions: card tokens carry (version - 1) mod 9 in their Luhn-breaking
// digit; detokenize uses the one live key version in that slot (rotate_key
// refuses a version whose slot a live version holds, so there is never more
// than one; a slot shared by versions made before 0.2.0 is refused with
// 55000 instead of guessing). Other formats use the version recorded in
// privacy._token_format_version (moved by retokenize), or the key's oldest
// version when none is recorded (0.1.0 behaviour).
//
// Each call site caches its resolved format and key in fn_extra, valid while
// the key cache generation is unchanged. Errors never contain a value, token
// or key, and all hide the statement (core errors through the boundary, ours
// with errhidestmt).
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/privileges.hpp"
#include "pg/guc.hpp"
#include "pg/keys/audit.hpp"
#include "pg/keys/key_cache.hpp"
#include "privacy/core/fpe.hpp"
#include "privacy/core/token_format.hpp"

#include <openssl/crypto.h>

#include <string>
#include <string_view>

extern "C" {
#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "port.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace privacy::pg {

namespace {

constexpr int kMaxFormatName = 64;

struct CallCache {
	uint64 generation;
	char format_name[kMaxFormatName];
	int format_len;
	FormatEntry *format;
	KeyRing *ring;
	Oid checked_user; // detokenize: user whose right was checked
	bool allowed;
};

std::string_view
TextView(const text *t) {
	return std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

// ResolveCall returns the call site's cache for format, resolving it when the
// format changed or the key cache was invalidated.
CallCache *
ResolveCall(FunctionCallInfo fcinfo, const text *format) {
	CallCache *cache = (CallCache *)fcinfo->flinfo->fn_extra;
	if (cache == NULL) {
		cache = (CallCache *)MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CallCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	int len = (int)VARSIZE_ANY_EXHDR(format);
	if (cache->format != NULL && KeyCacheUsable(cache->generation) && len == cache->format_len &&
	    memcmp(VARDATA_ANY(format), cache->format_name, len) == 0)
		return cache;

	cache->format = NULL;
	cache->checked_user = InvalidOid;
	char *name = text_to_cstring(format);
	uint64 generation = BeginKeyLookup();
	FormatEntry *entry = LookupFormat(name);
	KeyRing *ring = LookupKeyRing(entry->key_name);
	if (len >= kMaxFormatName)
		ereport(ERROR, (errcode(ERRCODE_NAME_TOO_LONG), errmsg("token format name is too long"),
		                errhidestmt(true), errhidecontext(true)));
	memcpy(cache->format_name, name, len);
	cache->format_len = len;
	cache->generation = generation;
	cache->ring = ring;
	cache->format = entry;
	return cache;
}

// SlotKey returns the single live version of card slot slot; raises 42704
// when none and 55000 when several versions made before 0.2.0 share it.
DataKey *
SlotKey(CallCache *cache, std::uint32_t slot) {
	KeyRing *ring = cache->ring;
	if (ring->by_slot[slot] == NULL)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
		                errmsg("no version of data key \"%s\" matches the token", ring->name),
		                errdetail("The token was made with a key version that no longer exists."),
		                errhidestmt(true), errhidecontext(true)));
	if (ring->slot_versions[slot] > 1)
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		         errmsg("data key \"%s\" has %d live versions in card version slot %u", ring->name,
		                ring->slot_versions[slot], slot),
		         errdetail("Versions v and v + 9 share a slot; the token does not say which one "
		                   "made it."),
		         errhint("Pass the version with privacy.detokenize(token, format, key_version), "
		                 "then drop the versions no token uses with privacy.drop_key_version()."),
		         errhidestmt(true), errhidecontext(true)));
	return ring->by_slot[slot];
}

// FormatKey returns the version a format that does not carry versions uses:
// the recorded one, or the key's oldest.
DataKey *
FormatKey(CallCache *cache) {
	if (cache->format->key_version == 0)
		return cache->ring->oldest;
	DataKey *key = FindVersion(cache->ring, cache->format->key_version);
	if (key == NULL)
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT),
		         errmsg("data key \"%s\" has no version %d, which token format \"%s\" uses",
		                cache->ring->name, cache->format->key_version, cache->format->name),
		         errdetail("The version was dropped; tokens made with it cannot be detokenized."),
		         errhidestmt(true), errhidecontext(true)));
	return key;
}

// KeyForToken returns the key version a token of the cached format was made with.
DataKey *
KeyForToken(CallCache *cache, std::string_view token) {
	if (!cache->format->format->Versioned())
		return FormatKey(cache);
	return SlotKey(cache, cache->format->format->VersionSlot(token));
}

// ExplicitKey returns version of the cached format's key for a token whose
// version the caller knows (a version column); card tokens must carry it.
DataKey *
ExplicitKey(CallCache *cache, std::string_view token, int32 version) {
	DataKey *key = version >= 1 ? FindVersion(cache->ring, version) : NULL;
	if (key == NULL)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
		                errmsg("data key \"%s\" has no version %d", cache->ring->name, version),
		                errhidestmt(true), errhidecontext(true)));
	if (cache->format->format->Versioned() &&
	    cache->format->format->VersionSlot(token) !=
	            core::TokenFormat::SlotOf((std::uint32_t)version))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("the token was not made with version %d of data key \"%s\"", version,
		                       cache->ring->name),
		                errdetail("Card tokens carry their key version modulo 9."),
		                errhidestmt(true), errhidecontext(true)));
	return key;
}

// TokenKey returns the key version new tokens of the cached format use.
DataKey *
TokenKey(CallCache *cache) {
	if (!cache->format->format->Versioned())
		return FormatKey(cache);
	// the newest version; refused while an older live version shares its slot
	return SlotKey(cache, core::TokenFormat::SlotOf((std::uint32_t)cache->ring->newest->version));
}

text *
ToText(std::string_view s) {
	return cstring_to_text_with_len(s.data(), (int)s.size());
}

Datum
TokenizeImpl(FunctionCallInfo fcinfo) {
	text *value = PG_GETARG_TEXT_PP(0);
	CallCache *cache = ResolveCall(fcinfo, PG_GETARG_TEXT_PP(1));
	DataKey *key = TokenKey(cache);
	std::string_view token =
	        cache->format->format->TokenizeView(*key->ff1, TextView(value), (uint32)key->version);
	text *result = ToText(token);
	cache->format->format->Wipe(); // the scratch held the value's numerals
	PG_RETURN_TEXT_P(result);
}

// Values of an array argument go through the batch path in chunks of this
// many, with a check for interrupts between chunks.
constexpr int kBatchChunk = 4096;

// TextArray is a text[] argument taken apart: its non-NULL elements as views
// (views[k] is element index[k]) and what it takes to build a result of the
// same shape. Plain data in palloc'd memory.
struct TextArray {
	int ndim;
	int *dims;
	int *lbs;
	int nelems;
	Datum *elems;
	bool *nulls;
	int count; // non-NULL elements
	std::string_view *views;
	int *index;
};

void
ReadTextArray(ArrayType *array, TextArray *out) {
	if (ARR_ELEMTYPE(array) != TEXTOID)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH), errmsg("expected an array of text"),
		                errhidestmt(true), errhidecontext(true)));
	out->ndim = ARR_NDIM(array);
	out->dims = ARR_DIMS(array);
	out->lbs = ARR_LBOUND(array);
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &out->elems, &out->nulls,
	                  &out->nelems);
	out->views = (std::string_view *)palloc(sizeof(std::string_view) * (out->nelems + 1));
	out->index = (int *)palloc(sizeof(int) * (out->nelems + 1));
	out->count = 0;
	for (int i = 0; i < out->nelems; ++i) {
		if (out->nulls[i])
			continue;
		const text *t = DatumGetTextPP(out->elems[i]);
		out->views[out->count] = TextView(t);
		out->index[out->count] = i;
		out->count++;
	}
}

// StoreResults copies the results of elements first..first+n of the batch
// (back to back in all, ends[k] the end of result k) into the array's
// element Datums.
void
StoreResults(TextArray *array, int first, int n, std::string_view all, const size_t *ends) {
	size_t start = 0;
	for (int k = 0; k < n; ++k) {
		array->elems[array->index[first + k]] =
		        PointerGetDatum(ToText(all.substr(start, ends[k] - start)));
		start = ends[k];
	}
}

Datum
ResultArray(const TextArray *array) {
	if (array->nelems == 0)
		return PointerGetDatum(construct_empty_array(TEXTOID));
	return PointerGetDatum(construct_md_array(array->elems, array->nulls, array->ndim, array->dims,
	                                          array->lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

Datum
TokenizeArrayImpl(FunctionCallInfo fcinfo) {
	ArrayType *input = PG_GETARG_ARRAYTYPE_P(0);
	CallCache *cache = ResolveCall(fcinfo, PG_GETARG_TEXT_PP(1));
	DataKey *key = TokenKey(cache);
	TextArray array;
	ReadTextArray(input, &array);
	const core::TokenFormat *format = cache->format->format;
	const int chunk = array.count < kBatchChunk ? array.count : kBatchChunk;
	const core::Ff1 **keys = (const core::Ff1 **)palloc(sizeof(core::Ff1 *) * (chunk + 1));
	std::uint32_t *versions = (std::uint32_t *)palloc(sizeof(std::uint32_t) * (chunk + 1));
	size_t *ends = (size_t *)palloc(sizeof(size_t) * (chunk + 1));
	for (int k = 0; k < chunk; ++k) {
		keys[k] = key->ff1;
		versions[k] = (std::uint32_t)key->version;
	}
	for (int first = 0; first < array.count; first += chunk) {
		CHECK_FOR_INTERRUPTS();
		const int n = array.count - first < chunk ? array.count - first : chunk;
		std::string_view all =
		        format->TokenizeMany(keys, versions, array.views + first, (size_t)n, ends);
		StoreResults(&array, first, n, all, ends);
		format->Wipe(); // the scratch held the values' numerals
	}
	PG_RETURN_DATUM(ResultArray(&array));
}

// CheckNotParallelWorker refuses to disclose values in a parallel worker: its
// audit counts would die with the worker (a PARALLEL SAFE wrapper function
// would otherwise detokenize without any audit row).
void
CheckNotParallelWorker(const char *what) {
	if (IsParallelWorker())
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("cannot run %s in a parallel worker", what),
		                errdetail("Every disclosure is recorded in privacy.audit_log, which a "
		                          "parallel worker cannot write."),
		                errhint("Mark the functions that call %s PARALLEL UNSAFE.", what),
		                errhidestmt(true), errhidecontext(true)));
}

// CheckDetokenize raises 42501 unless the current user may detokenize the
// cached format, and refuses read-only transactions (the audit row is a write).
void
CheckDetokenize(CallCache *cache) {
	Oid user = GetUserId();
	if (cache->checked_user != user) {
		cache->allowed = MayDetokenize(cache->format->name);
		cache->checked_user = user;
	}
	if (!cache->allowed)
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg("permission denied to detokenize format \"%s\"", cache->format->name),
		         errhint("A superuser or a member of role \"%s\" (another member, for a role it "
		                 "belongs to) can grant it with privacy.grant_detokenize().",
		                 AdminRoleName()),
		         errhidestmt(true), errhidecontext(true)));
	CheckNotParallelWorker("detokenize");
	if (XactReadOnly)
		ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
		                errmsg("cannot detokenize in a read-only transaction"),
		                errdetail("Every detokenization is recorded in privacy.audit_log."),
		                errhidestmt(true), errhidecontext(true)));
}

Datum
DetokenizeImpl(FunctionCallInfo fcinfo) {
	text *token = PG_GETARG_TEXT_PP(0);
	CallCache *cache = ResolveCall(fcinfo, PG_GETARG_TEXT_PP(1));
	CheckDetokenize(cache);
	DataKey *key = PG_NARGS() > 2 ? ExplicitKey(cache, TextView(token), PG_GETARG_INT32(2))
	                              : KeyForToken(cache, TextView(token));
	std::string_view value = cache->format->format->DetokenizeView(*key->ff1, TextView(token));
	text *result = ToText(value);
	cache->format->format->Wipe(); // the scratch held the plaintext
	CountDetokenized(cache->format->name, 1);
	PG_RETURN_TEXT_P(result);
}

Datum
TokenKeyVersionImpl(FunctionCallInfo fcinfo) {
	text *token = PG_GETARG_TEXT_PP(0);
	CallCache *cache = ResolveCall(fcinfo, PG_GETARG_TEXT_PP(1));
	DataKey *key = KeyForToken(cache, TextView(token));
	PG_RETURN_INT32(key->version);
}

// Retokenize decrypts token with old and encrypts the value with newest (C++
// only; the value is wiped before returning).
void
Retokenize(const core::TokenFormat &format, const DataKey *old, const DataKey *newest,
           std::string_view token, std::string &out) {
	std::string value(format.DetokenizeView(*old->ff1, token));
	try {
		out.assign(format.TokenizeView(*newest->ff1, value, (uint32)newest->version));
	} catch (...) {
		OPENSSL_cleanse(&value[0], value.size());
		throw;
	}
	OPENSSL_cleanse(&value[0], value.size());
	format.Wipe();
}

// RetokenizeTarget resolves the target key version of _retokenize_value(s):
// to_version 0 is the version new tokens use; from_version 0 (versioned
// formats only) the one each token carries.
DataKey *
RetokenizeTarget(CallCache *cache, int32 from_version, int32 to_version) {
	bool versioned = cache->format->format->Versioned();
	if (!versioned && from_version == 0)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("tokens of format \"%s\" do not carry their key version",
		                       cache->format->name),
		                errhint("Use privacy.retokenize(), which knows the version of the column."),
		                errhidestmt(true), errhidecontext(true)));
	if (to_version != 0) {
		DataKey *newest = FindVersion(cache->ring, to_version);
		if (newest == NULL)
			ereport(ERROR,
			        (errcode(ERRCODE_UNDEFINED_OBJECT),
			         errmsg("data key \"%s\" has no version %d", cache->ring->name, to_version),
			         errhidestmt(true), errhidecontext(true)));
		return newest;
	}
	return versioned && from_version == 0 ? TokenKey(cache) : cache->ring->newest;
}

Datum
RetokenizeValueImpl(FunctionCallInfo fcinfo) {
	CheckPolicyAdmin("retokenize", InvalidOid);
	text *token = PG_GETARG_TEXT_PP(0);
	CallCache *cache = ResolveCall(fcinfo, PG_GETARG_TEXT_PP(1));
	// privacy._retokenize_value(token, format [, from_version, to_version]):
	// from_version 0 (or absent) is the version a card token carries;
	// formats that do not carry one need it (retokenize knows the version of
	// its columns). to_version 0 (or absent) is the version new tokens use;
	// retokenize passes the version it records, so a rotation committed while
	// it runs cannot leave tokens and the format's recorded version apart.
	// With an explicit from_version the caller knows the token's version:
	// the token moves even while its slot is shared by versions made before
	// 0.2.0 (the way out of such a state: move, then drop the old version).
	int32 from_version = PG_NARGS() > 2 ? PG_GETARG_INT32(2) : 0;
	int32 to_version = PG_NARGS() > 3 ? PG_GETARG_INT32(3) : 0;
	if (!cache->format->format->Versioned() && from_version == 0)
		RetokenizeTarget(cache, from_version, to_version); // raises: the version is needed
	DataKey *old = from_version != 0 ? ExplicitKey(cache, TextView(token), from_version)
	                                 : KeyForToken(cache, TextView(token));
	DataKey *newest = RetokenizeTarget(cache, from_version, to_version);
	if (old == newest)
		PG_RETURN_TEXT_P(token);
	text *result;
	{
		std::string out;
		Retokenize(*cache->format->format, old, newest, TextView(token), out);
		result = CallPg([&] { return ToText(out); });
	}
	PG_RETURN_TEXT_P(result);
}

// privacy._retokenize_values(tokens text[], format, from_version, to_version):
// _retokenize_value for every element (NULLs stay NULL), through the batch
// path: the values exist only inside TokenFormat::RetokenizeMany, which
// wipes them before it returns.
Datum
RetokenizeValuesImpl(FunctionCallInfo fcinfo) {
	CheckPolicyAdmin("retokenize", InvalidOid);
	ArrayType *input = PG_GETARG_ARRAYTYPE_P(0);
	CallCache *cache = ResolveCall(fcinfo, PG_GETARG_TEXT_PP(1));
	int32 from_version = PG_GETARG_INT32(2);
	int32 to_version = PG_GETARG_INT32(3);
	DataKey *newest = RetokenizeTarget(cache, from_version, to_version);
	TextArray array;
	ReadTextArray(input, &array);
	const core::TokenFormat *format = cache->format->format;
	const int chunk = array.count < kBatchChunk ? array.count : kBatchChunk;
	const core::Ff1 **old_keys = (const core::Ff1 **)palloc(sizeof(core::Ff1 *) * (chunk + 1));
	size_t *ends = (size_t *)palloc(sizeof(size_t) * (chunk + 1));
	for (int first = 0; first < array.count; first += chunk) {
		CHECK_FOR_INTERRUPTS();
		const int n = array.count - first < chunk ? array.count - first : chunk;
		for (int k = 0; k < n; ++k) {
			std::string_view token = array.views[first + k];
			DataKey *old = from_version != 0 ? ExplicitKey(cache, token, from_version)
			                                 : KeyForToken(cache, token);
			old_keys[k] = old->ff1;
		}
		std::string_view all =
		        format->RetokenizeMany(old_keys, *newest->ff1, (std::uint32_t)newest->version,
		                               array.views + first, (size_t)n, ends);
		StoreResults(&array, first, n, all, ends);
		format->Wipe();
	}
	PG_RETURN_DATUM(ResultArray(&array));
}

// The retokenize ticket: privacy.retokenize (as a policy admin) takes one,
// then runs one UPDATE as the table's owner that calls
// _retokenize_in_place/_retokenize_needed with it as a bind parameter. The
// owner's code running inside that UPDATE (its triggers) cannot read the
// parameter, so it cannot call them; the ticket names the format and the
// target version and dies with the transaction (a local transaction id).
struct RetokenizeTicket {
	uint64 ticket;
	LocalTransactionId lxid;
	int32 to_version;
	int format_len;
	char format[kMaxFormatName];
};
RetokenizeTicket current_ticket;

Datum
RetokenizeTicketImpl(FunctionCallInfo fcinfo) {
	CheckPolicyAdmin("retokenize", InvalidOid);
	if (PG_GETARG_INT32(1) <= 0) {
		// retokenize is done: the ticket dies now, not at the end of the transaction
		memset(&current_ticket, 0, sizeof(current_ticket));
		PG_RETURN_INT64(0);
	}
	const text *format = PG_GETARG_TEXT_PP(0);
	int len = (int)VARSIZE_ANY_EXHDR(format);
	if (len >= kMaxFormatName)
		ereport(ERROR, (errcode(ERRCODE_NAME_TOO_LONG), errmsg("token format name is too long"),
		                errhidestmt(true), errhidecontext(true)));
	uint64 ticket = 0;
	while (ticket == 0)
		if (!pg_strong_random(&ticket, sizeof(ticket)))
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
			                errmsg("could not generate a random retokenize ticket")));
	current_ticket.ticket = ticket;
	current_ticket.lxid = MyProc->lxid;
	current_ticket.to_version = PG_GETARG_INT32(1);
	current_ticket.format_len = len;
	memcpy(current_ticket.format, VARDATA_ANY(format), len);
	PG_RETURN_INT64((int64)ticket);
}

// CheckTicket raises 42501 unless ticket is this transaction's retokenize
// ticket for format; returns the target version.
int32
CheckTicket(const text *format, int64 ticket) {
	int len = (int)VARSIZE_ANY_EXHDR(format);
	if (current_ticket.ticket == 0 || (uint64)ticket != current_ticket.ticket ||
	    current_ticket.lxid != MyProc->lxid || len != current_ticket.format_len ||
	    memcmp(VARDATA_ANY(format), current_ticket.format, len) != 0)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("permission denied to move tokens"),
		                errdetail("This is an internal function of privacy.retokenize()."),
		                errhidestmt(true), errhidecontext(true)));
	return current_ticket.to_version;
}

// privacy._retokenize_in_place(token, format, ticket): the token of the
// same value under the ticket's version (the token itself when it already
// is); the value never leaves C.
Datum
RetokenizeInPlaceImpl(FunctionCallInfo fcinfo) {
	text *token = PG_GETARG_TEXT_PP(0);
	const text *format = PG_GETARG_TEXT_PP(1);
	int32 to_version = CheckTicket(format, PG_GETARG_INT64(2));
	CallCache *cache = ResolveCall(fcinfo, PG_GETARG_TEXT_PP(1));
	DataKey *old = KeyForToken(cache, TextView(token));
	DataKey *newest = RetokenizeTarget(cache, 0, to_version);
	if (old == newest)
		PG_RETURN_TEXT_P(token);
	std::string_view moved = cache->format->format->RetokenizeView(
	        *old->ff1, *newest->ff1, (std::uint32_t)newest->version, TextView(token));
	text *result = ToText(moved);
	cache->format->format->Wipe();
	PG_RETURN_TEXT_P(result);
}

// privacy._retokenize_needed(token, format, ticket): whether the token was
// made with another version than the ticket's.
Datum
RetokenizeNeededImpl(FunctionCallInfo fcinfo) {
	text *token = PG_GETARG_TEXT_PP(0);
	int32 to_version = CheckTicket(PG_GETARG_TEXT_PP(1), PG_GETARG_INT64(2));
	CallCache *cache = ResolveCall(fcinfo, PG_GETARG_TEXT_PP(1));
	PG_RETURN_BOOL(KeyForToken(cache, TextView(token))->version != to_version);
}

// FpeArgs are the arguments of fpe_encrypt/fpe_decrypt after resolution.
struct FpeArgs {
	std::string_view value;
	std::string_view alphabet;
	const uint8 *tweak;
	size_t tweak_len;
	bool ff3_1;
	DataKey *key;
	bool encrypt;
};

// RunFpe runs the raw mode (C++ only).
void
RunFpe(const FpeArgs &args, std::string &out) {
	core::Alphabet alphabet(args.alphabet);
	if (args.ff3_1) {
		core::Ff31 *ff31 = KeyFf31(args.key);
		if (args.encrypt)
			core::EncryptString(*ff31, alphabet, args.value, args.tweak, args.tweak_len, out);
		else
			core::DecryptString(*ff31, alphabet, args.value, args.tweak, args.tweak_len, out);
	} else {
		if (args.encrypt)
			core::EncryptString(*args.key->ff1, alphabet, args.value, args.tweak, args.tweak_len,
			                    out);
		else
			core::DecryptString(*args.key->ff1, alphabet, args.value, args.tweak, args.tweak_len,
			                    out);
	}
}

Datum
Fpe(FunctionCallInfo fcinfo, bool encrypt) {
	text *value = PG_GETARG_TEXT_PP(0);
	char *key_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	text *alphabet = PG_GETARG_TEXT_PP(2);
	bytea *tweak = PG_GETARG_BYTEA_PP(3);
	char *mode = text_to_cstring(PG_GETARG_TEXT_PP(4));
	int32 version = PG_GETARG_INT32(5);
	bool ff3_1;
	if (pg_strcasecmp(mode, "ff1") == 0)
		ff3_1 = false;
	else if (pg_strcasecmp(mode, "ff3-1") == 0)
		ff3_1 = true;
	else
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown FPE mode \"%s\"", mode),
		         errhint("Use 'ff1' or 'ff3-1'."), errhidestmt(true), errhidecontext(true)));
	BeginKeyLookup();
	KeyRing *ring = LookupKeyRing(key_name);
	DataKey *key = ring->newest;
	if (version != 0) {
		key = NULL;
		for (DataKey *k = ring->versions; k != NULL; k = k->next)
			if (k->version == version)
				key = k;
		if (key == NULL)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
			                errmsg("data key \"%s\" has no version %d", key_name, version),
			                errhidestmt(true), errhidecontext(true)));
	}
	const uint8 *tweak_bytes = (const uint8 *)VARDATA_ANY(tweak);
	size_t tweak_len = VARSIZE_ANY_EXHDR(tweak);
	// A format's tokens are FF1 under its key with its name as the tweak:
	// the raw mode must not reproduce (encrypt) or read (decrypt) them.
	if (!ff3_1 && IsFormatTweak(key_name, tweak_bytes, tweak_len))
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg("the tweak is reserved for a token format of data key \"%s\"", key_name),
		         errdetail("Raw FF1 with a format's name as the tweak would read or forge that "
		                   "format's tokens without its detokenize privilege and audit."),
		         errhint("Use privacy.tokenize() and privacy.detokenize(), or another tweak."),
		         errhidestmt(true), errhidecontext(true)));
	if (!encrypt)
		CheckNotParallelWorker("fpe_decrypt");
	if (!encrypt && XactReadOnly)
		ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
		                errmsg("cannot run fpe_decrypt in a read-only transaction"),
		                errdetail("Every raw decryption is recorded in privacy.audit_log."),
		                errhidestmt(true), errhidecontext(true)));
	FpeArgs args{TextView(value), TextView(alphabet), tweak_bytes, tweak_len, ff3_1, key, encrypt};
	text *result;
	{
		std::string out;
		RunFpe(args, out);
		result = CallPg([&] { return ToText(out); });
		OPENSSL_cleanse(&out[0], out.size());
	}
	if (!encrypt) {
		// audited like detokenize: one row per statement and key
		char label[64];
		snprintf(label, sizeof(label), "fpe_decrypt(%s)", key_name);
		CountDetokenized(label, 1);
	}
	PG_RETURN_TEXT_P(result);
}

Datum
FpeEncryptImpl(FunctionCallInfo fcinfo) {
	return Fpe(fcinfo, true);
}

Datum
FpeDecryptImpl(FunctionCallInfo fcinfo) {
	return Fpe(fcinfo, false);
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(tokenize, privacy::pg::TokenizeImpl)
PRIVACY_FUNCTION(tokenize_array, privacy::pg::TokenizeArrayImpl)
PRIVACY_FUNCTION(detokenize, privacy::pg::DetokenizeImpl)
PRIVACY_FUNCTION(fpe_encrypt, privacy::pg::FpeEncryptImpl)
PRIVACY_FUNCTION(fpe_decrypt, privacy::pg::FpeDecryptImpl)
PRIVACY_FUNCTION(_token_key_version, privacy::pg::TokenKeyVersionImpl)
PRIVACY_FUNCTION(_retokenize_value, privacy::pg::RetokenizeValueImpl)
PRIVACY_FUNCTION(_retokenize_values, privacy::pg::RetokenizeValuesImpl)
PRIVACY_FUNCTION(_retokenize_ticket, privacy::pg::RetokenizeTicketImpl)
PRIVACY_FUNCTION(_retokenize_in_place, privacy::pg::RetokenizeInPlaceImpl)
PRIVACY_FUNCTION(_retokenize_needed, privacy::pg::RetokenizeNeededImpl)
