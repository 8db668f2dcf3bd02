// audit.hpp: the detokenize audit (privacy.audit_log).
//
// Granularity: detokenize counts values per format in backend memory; the
// counts are written as one row per format at the end of each executed
// statement (ExecutorEnd hook, preloaded only) and, for whatever is left
// (PL/pgSQL simple expressions, DO blocks, lazily loaded library), just before
// the transaction commits. Rows carry who, when, format and how many values,
// never a value. An aborted transaction writes nothing (its audit rows would
// be rolled back with it).
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// InitAudit registers the transaction callback; called from _PG_init.
void InitAudit();

// CountDetokenized adds n detokenized values of format to the pending counts.
void CountDetokenized(const char *format, int64 n);

// AuditPending reports whether counts wait to be written.
bool AuditPending();

// FlushAudit writes the pending counts to privacy.audit_log (direct heap
// inserts: the caller needs no privilege on the table).
void FlushAudit();

} // namespace privacy::pg
