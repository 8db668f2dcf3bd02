// card_token.cpp: input and binary receive of privacy.card_token.
//
// The type stores the digits of a card token (a varlena compared bytewise by
// the core bytea functions; output and send are textout and byteasend).
// Input only VALIDATES: 12 to 19 digits, separators ' ' and '-' dropped, and
// the number must FAIL the Luhn check (every card token does; a real card
// number never does). It never tokenizes: pg_dump/pg_restore, COPY FROM and
// logical replication call it with tokens, and tokenizing there would
// tokenize twice. It cannot tell a token from a Luhn-invalid digit string,
// which is exactly why it must not try.
//
// Errors never echo the input and hide statement and context from the log.
#include "pg/boundary/boundary.hpp"
#include "privacy/core/token_format.hpp"

#include <string_view>

extern "C" {
#include "libpq/pqformat.h"
}

namespace privacy::pg {

namespace {

constexpr size_t kMaxDigits = 19;

bytea *
MakeCardToken(const char *digits, size_t n) {
	bytea *result = (bytea *)palloc(VARHDRSZ + n);
	SET_VARSIZE(result, VARHDRSZ + n);
	memcpy(VARDATA(result), digits, n);
	return result;
}

Datum
CardTokenInImpl(FunctionCallInfo fcinfo) {
	const char *input = PG_GETARG_CSTRING(0);
	char digits[kMaxDigits];
	size_t n = 0;
	if (!core::TokenFormat::IsCardTokenSyntax(std::string_view(input), digits, &n))
		ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
		                errmsg("invalid input syntax for type %s", "privacy.card_token"),
		                errdetail("A card token has 12 to 19 digits and optional separators, and "
		                          "never passes the Luhn check."),
		                errhint("Make card tokens with privacy.tokenize(value, 'card')."),
		                errhidestmt(true), errhidecontext(true), errhidecontext(true)));
	PG_RETURN_BYTEA_P(MakeCardToken(digits, n));
}

Datum
CardTokenRecvImpl(FunctionCallInfo fcinfo) {
	StringInfo buf = (StringInfo)PG_GETARG_POINTER(0);
	int len = buf->len - buf->cursor;
	const char *bytes = pq_getmsgbytes(buf, len);
	std::string_view view(bytes, (size_t)len);
	char digits[kMaxDigits];
	size_t n = 0;
	bool ok = view.find_first_not_of("0123456789") == std::string_view::npos &&
	          core::TokenFormat::IsCardTokenSyntax(view, digits, &n);
	if (!ok)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
		         errmsg("invalid binary value for type %s", "privacy.card_token"),
		         errdetail("A card token is sent as 12 to 19 digits that fail the Luhn check."),
		         errhidestmt(true), errhidecontext(true)));
	PG_RETURN_BYTEA_P(MakeCardToken(digits, n));
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(card_token_in, privacy::pg::CardTokenInImpl)
PRIVACY_FUNCTION(card_token_recv, privacy::pg::CardTokenRecvImpl)
