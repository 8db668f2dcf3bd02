// key_wrap.cpp: AEAD wrapping of data keys (see key_wrap.hpp).
//
// Associated data: "pg_privacy data key" NUL name NUL version (4 bytes,
// big-endian); a wrapped key copied to another name or version fails to
// authenticate. Must never: report key bytes.
#include "pg/keys/key_wrap.hpp"
#include "pg/keys/master_key.hpp"

#include <sodium.h>

#include <cstring>

namespace privacy::pg {

namespace {

constexpr char kAdPrefix[] = "pg_privacy data key";
constexpr char kSecretAd[] = "pg_privacy masking secret";
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kMaxAd = sizeof(kAdPrefix) + 1024 + 1 + 4;

// BuildAd writes the associated data for (name, version) into ad; returns its
// length, or 0 when the name is too long.
size_t
BuildAd(const char *name, int32 version, unsigned char *ad) {
	size_t name_len = strlen(name);
	if (name_len > 1024)
		return 0;
	size_t n = 0;
	memcpy(ad, kAdPrefix, sizeof(kAdPrefix)); // includes the NUL
	n += sizeof(kAdPrefix);
	memcpy(ad + n, name, name_len);
	n += name_len;
	ad[n++] = 0;
	uint32 v = (uint32)version;
	ad[n++] = (unsigned char)(v >> 24);
	ad[n++] = (unsigned char)(v >> 16);
	ad[n++] = (unsigned char)(v >> 8);
	ad[n++] = (unsigned char)v;
	return n;
}

} // namespace

bytea *
WrapDataKey(const char *name, int32 version, const unsigned char *material, size_t len,
            const unsigned char *master) {
	unsigned char ad[kMaxAd];
	size_t ad_len = BuildAd(name, version, ad);
	if (ad_len == 0)
		ereport(ERROR, (errcode(ERRCODE_NAME_TOO_LONG), errmsg("data key name is too long"),
		                errhidestmt(true)));
	size_t out_len = kNonceBytes + len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
	bytea *out = (bytea *)palloc(VARHDRSZ + out_len);
	SET_VARSIZE(out, VARHDRSZ + out_len);
	unsigned char *nonce = (unsigned char *)VARDATA(out);
	randombytes_buf(nonce, kNonceBytes);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kNonceBytes, &clen, material, len, ad,
	                                           ad_len, NULL, nonce, master);
	return out;
}

unsigned char *
UnwrapDataKey(const char *name, int32 version, const bytea *wrapped, const unsigned char *master,
              size_t *len) {
	unsigned char ad[kMaxAd];
	size_t ad_len = BuildAd(name, version, ad);
	size_t total = VARSIZE_ANY_EXHDR(wrapped);
	if (ad_len == 0 || total < kNonceBytes + crypto_aead_xchacha20poly1305_ietf_ABYTES + 16)
		return NULL;
	const unsigned char *nonce = (const unsigned char *)VARDATA_ANY(wrapped);
	size_t clen = total - kNonceBytes;
	size_t mlen = clen - crypto_aead_xchacha20poly1305_ietf_ABYTES;
	unsigned char *material = (unsigned char *)sodium_malloc(mlen);
	if (material == NULL)
		return NULL;
	unsigned long long out_len = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(material, &out_len, NULL, nonce + kNonceBytes,
	                                               clen, ad, ad_len, nonce, master) != 0) {
		sodium_free(material);
		return NULL;
	}
	*len = (size_t)out_len;
	return material;
}

bytea *
WrapMaskingSecret(const unsigned char *secret, const unsigned char *master) {
	bytea *out = (bytea *)palloc(VARHDRSZ + kWrappedSecretBytes);
	SET_VARSIZE(out, VARHDRSZ + kWrappedSecretBytes);
	unsigned char *nonce = (unsigned char *)VARDATA(out);
	randombytes_buf(nonce, kNonceBytes);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kNonceBytes, &clen, secret, 32,
	                                           (const unsigned char *)kSecretAd, sizeof(kSecretAd),
	                                           NULL, nonce, master);
	return out;
}

bool
UnwrapMaskingSecret(const bytea *wrapped, const unsigned char *master, unsigned char *out) {
	if (VARSIZE_ANY_EXHDR(wrapped) != kWrappedSecretBytes) {
		sodium_memzero(out, 32);
		return false;
	}
	const unsigned char *nonce = (const unsigned char *)VARDATA_ANY(wrapped);
	unsigned long long out_len = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	            out, &out_len, NULL, nonce + kNonceBytes, kWrappedSecretBytes - kNonceBytes,
	            (const unsigned char *)kSecretAd, sizeof(kSecretAd), nonce, master) != 0 ||
	    out_len != 32) {
		sodium_memzero(out, 32);
		return false;
	}
	return true;
}

void
LoadCurrentMasterKey(MasterKeys *keys) {
	keys->current = AcquireMasterKey(MasterKeySlot::kCurrent);
	MasterKeyId(keys->current, keys->current_id);
}

void
LoadPreviousMasterKey(MasterKeys *keys) {
	if (keys->previous != NULL || !MasterKeyConfigured(MasterKeySlot::kPrevious))
		return;
	PG_TRY();
	{ keys->previous = AcquireMasterKey(MasterKeySlot::kPrevious); }
	PG_CATCH();
	{
		FreeMasterKeys(keys);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MasterKeyId(keys->previous, keys->previous_id);
}

unsigned char *
UnwrapStoredKey(const MasterKeys *keys, const char *name, int32 version, const bytea *wrapped,
                const char *stored_id, size_t *len) {
	const unsigned char *master = MasterKeyFor(keys, stored_id);
	unsigned char *material =
	        master != NULL ? UnwrapDataKey(name, version, wrapped, master, len) : NULL;
	if (material == NULL && stored_id == NULL && keys->previous != NULL)
		material = UnwrapDataKey(name, version, wrapped, keys->previous, len);
	return material;
}

bool
UnwrapStoredSecret(const MasterKeys *keys, const bytea *wrapped, const char *stored_id,
                   unsigned char *out) {
	const unsigned char *master = MasterKeyFor(keys, stored_id);
	bool ok = master != NULL && UnwrapMaskingSecret(wrapped, master, out);
	if (!ok && stored_id == NULL && keys->previous != NULL)
		ok = UnwrapMaskingSecret(wrapped, keys->previous, out);
	return ok;
}

void
ReportUnwrapFailure(const char *object, const char *stored_id, const MasterKeys *keys) {
	const char *previous = keys->previous_id[0] != '\0' ? keys->previous_id : NULL;
	const char *hint = "Configure the master key it was wrapped under (privacy.master_key_file, or "
	                   "privacy.previous_master_key_file during a rotation) and reload; if that "
	                   "master key was destroyed, this key is shredded.";
	if (stored_id != NULL && (strcmp(stored_id, keys->current_id) == 0 ||
	                          (previous != NULL && strcmp(stored_id, previous) == 0)))
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		         errmsg("%s cannot be unwrapped with the configured master key", object),
		         errdetail("It does not authenticate under master key %s, the one it records: the "
		                   "wrapped key was altered, or copied to another name or version.",
		                   stored_id),
		         errhint("Restore it from a backup taken under this master key."),
		         errhidestmt(true), errhidecontext(true)));
	if (stored_id != NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("%s is wrapped under master key %s, which is not configured", object,
		                       stored_id),
		                previous != NULL ? errdetail("The configured master key has id %s, the "
		                                             "previous master key id %s.",
		                                             keys->current_id, previous)
		                                 : errdetail("The configured master key has id %s.",
		                                             keys->current_id),
		                errhint("%s", hint), errhidestmt(true), errhidecontext(true)));
	ereport(ERROR,
	        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
	         errmsg("%s cannot be unwrapped with the configured master key", object),
	         previous != NULL
	                 ? errdetail(
	                           "It was wrapped before master key ids were recorded; neither the "
	                           "master key (id %s) nor the previous master key (id %s) unwraps it.",
	                           keys->current_id, previous)
	                 : errdetail("It was wrapped before master key ids were recorded; the master "
	                             "key (id %s) does not unwrap it.",
	                             keys->current_id),
	         errhint("%s", hint), errhidestmt(true), errhidecontext(true)));
	pg_unreachable();
}

void
FreeMasterKeys(MasterKeys *keys) {
	if (keys->current != NULL)
		sodium_free(keys->current);
	if (keys->previous != NULL)
		sodium_free(keys->previous);
	keys->current = keys->previous = NULL; // the ids stay, for messages
}

const unsigned char *
MasterKeyFor(const MasterKeys *keys, const char *stored_id) {
	if (stored_id == NULL)
		return keys->current;
	if (keys->current != NULL && strcmp(stored_id, keys->current_id) == 0)
		return keys->current;
	if (keys->previous != NULL && strcmp(stored_id, keys->previous_id) == 0)
		return keys->previous;
	return NULL;
}

} // namespace privacy::pg
