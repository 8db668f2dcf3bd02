// key_wrap.cpp: AEAD wrapping of data keys (see key_wrap.hpp).
//
// Associated data: "pg_privacy data key" NUL name NUL version (4 bytes,
// big-endian); a wrapped key copied to another name or version fails to
// authenticate. Must never: report key bytes.
#include "pg/keys/key_wrap.hpp"

#include <sodium.h>

#include <cstring>

namespace privacy::pg {

namespace {

constexpr char kAdPrefix[] = "pg_privacy data key";
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
		ereport(ERROR, (errcode(ERRCODE_NAME_TOO_LONG), errmsg("data key name is too long"), errhidestmt(true)));
	size_t out_len = kNonceBytes + len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
	bytea *out = (bytea *)palloc(VARHDRSZ + out_len);
	SET_VARSIZE(out, VARHDRSZ + out_len);
	unsigned char *nonce = (unsigned char *)VARDATA(out);
	randombytes_buf(nonce, kNonceBytes);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kNonceBytes, &clen, material, len, ad, ad_len, NULL, nonce,
	                                           master);
	return out;
}

unsigned char *
UnwrapDataKey(const char *name, int32 version, const bytea *wrapped, const unsigned char *master, size_t *len) {
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
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(material, &out_len, NULL, nonce + kNonceBytes, clen, ad, ad_len,
	                                               nonce, master) != 0) {
		sodium_free(material);
		return NULL;
	}
	*len = (size_t)out_len;
	return material;
}

} // namespace privacy::pg
