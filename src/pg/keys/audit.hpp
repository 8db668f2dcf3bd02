// audit.hpp: the detokenize audit (privacy.audit_log).
//
// Granularity: detokenize counts values per format (and current user) in
// backend memory; the counts become one record per format at the end of each
// executed statement (ExecutorEnd hook) and, for whatever is left (PL/pgSQL
// simple expressions, DO blocks, aborted statements), when the transaction
// commits or aborts, or the backend exits. Records go to the shared audit
// queue (audit/queue.hpp), which the audit writer drains into
// privacy.audit_log outside the disclosing transaction: a rollback does not
// erase them. Rows carry who, when, format and how many values, never a
// value. Requires the preloaded library (the queue lives in shared memory).
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// InitAudit registers the transaction callback; called from _PG_init.
void InitAudit();

// CountDetokenized adds n detokenized values of format to the pending counts;
// call it before the value is returned. Raises 53400 (queue full) or 55000
// (not preloaded) when the disclosure cannot be audited.
void CountDetokenized(const char *format, int64 n);

// AuditPending reports whether counts wait to be written.
bool AuditPending();

// FlushAudit hands the pending counts to the audit queue (their records were
// reserved): never raises, needs no transaction.
void FlushAudit();

} // namespace privacy::pg
