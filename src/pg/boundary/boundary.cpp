// boundary.cpp: raising recorded C++ errors as PostgreSQL errors, the
// ErrorKind -> SQLSTATE table, and the PG_TRY frame used by CallPg.
//
// This file must never: format a runtime value into a message, or call a
// PostgreSQL function from inside a C++ catch handler.
#include "pg/boundary/boundary.hpp"

extern "C" {
#include "miscadmin.h"
}

namespace privacy::pg {

// SqlStateFor is the one table from core error kinds to SQLSTATEs.
int
SqlStateFor(core::ErrorKind kind) noexcept {
	switch (kind) {
	case core::ErrorKind::kInvalidParameter:
		return ERRCODE_INVALID_PARAMETER_VALUE;
	case core::ErrorKind::kInvalidTextRepresentation:
		return ERRCODE_INVALID_TEXT_REPRESENTATION;
	case core::ErrorKind::kNullValueNotAllowed:
		return ERRCODE_NULL_VALUE_NOT_ALLOWED;
	case core::ErrorKind::kNumericOutOfRange:
		return ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
	case core::ErrorKind::kStringDataRightTruncation:
		return ERRCODE_STRING_DATA_RIGHT_TRUNCATION;
	case core::ErrorKind::kInsufficientPrivilege:
		return ERRCODE_INSUFFICIENT_PRIVILEGE;
	case core::ErrorKind::kUndefinedObject:
		return ERRCODE_UNDEFINED_OBJECT;
	case core::ErrorKind::kDuplicateObject:
		return ERRCODE_DUPLICATE_OBJECT;
	case core::ErrorKind::kPrerequisiteState:
		return ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
	case core::ErrorKind::kConfigFile:
		return ERRCODE_CONFIG_FILE_ERROR;
	case core::ErrorKind::kExternalRoutine:
		return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
	case core::ErrorKind::kFeatureNotSupported:
		return ERRCODE_FEATURE_NOT_SUPPORTED;
	case core::ErrorKind::kCancelled:
		return ERRCODE_QUERY_CANCELED;
	case core::ErrorKind::kInternal:
		return ERRCODE_INTERNAL_ERROR;
	}
	return ERRCODE_INTERNAL_ERROR;
}

// RaiseCaught raises the recorded error. It runs after the C++ scope that
// caught it has ended, so the longjmp crosses only plain frames.
void
RaiseCaught(const CaughtError &caught) {
	switch (caught.source) {
	case CaughtError::Source::kPg:
		ReThrowError(caught.edata);
		break;
	case CaughtError::Source::kCore:
		if (caught.kind == core::ErrorKind::kCancelled) {
			// core noticed a pending interrupt: let PostgreSQL handle it
			CHECK_FOR_INTERRUPTS();
		}
		ereport(ERROR, (errcode(SqlStateFor(caught.kind)), errmsg_internal("%s", caught.message),
		                caught.detail ? errdetail_internal("%s", caught.detail) : 0,
		                caught.hint ? errhint("%s", caught.hint) : 0, errhidestmt(true),
		                errhidecontext(true)));
		break;
	case CaughtError::Source::kBadAlloc:
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory"),
		                errdetail("A pg_privacy library routine could not allocate memory.")));
		break;
	case CaughtError::Source::kStd:
	case CaughtError::Source::kUnknown:
	case CaughtError::Source::kNone:
		break;
	}
	ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("internal error in pg_privacy"),
	                errdetail("An unexpected C++ exception reached the extension boundary."),
	                errhidestmt(true), errhidecontext(true)));
	pg_unreachable();
}

// TryPg runs fn(arg) with a PG_TRY frame of its own. On ERROR it restores
// the caller's memory context, copies the error out of ErrorContext and
// flushes the error state; the caller must re-throw it (never swallow it:
// the transaction state is only safe because the error is re-raised).
ErrorData *
TryPg(void (*fn)(void *), void *arg) {
	// volatile: read after the longjmp back into this frame
	MemoryContext volatile caller_context = CurrentMemoryContext;
	ErrorData *volatile edata = NULL;

	PG_TRY();
	{ fn(arg); }
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	return edata;
}

} // namespace privacy::pg
