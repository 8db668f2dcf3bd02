// audit.cpp: pending detokenize counts and their durable records.
//
// Invariants: counts live in a fixed static array (no allocation, no C++
// objects). Each pending count holds one reservation in the shared audit
// queue (audit/queue.hpp), taken before the first value of that count is
// returned, so handing the counts to the queue (FlushAudit) never fails and
// never needs a transaction: it runs at the end of every statement, before
// commit, on abort (top level or parallel worker) and at backend exit.
// Nothing is written to privacy.audit_log here: the audit writer does it
// outside the disclosing transaction, so a rollback cannot erase the record
// and a commit cannot duplicate it. Must never: record a value or token.
#include "pg/keys/audit.hpp"

#include "pg/audit/queue.hpp"

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
#include "utils/timestamp.h"
}

namespace privacy::pg {

namespace {

constexpr int kMaxPending = 16;

struct PendingCount {
	Oid user;
	DisclosureRecord record; // format, role and count filled; logged_at at flush
};

PendingCount pending[kMaxPending];
int npending = 0;

// AuditXactCallback hands what is left to the queue when a transaction (or
// a parallel worker's part of it) ends, whatever the outcome.
void
AuditXactCallback(XactEvent event, void *arg) {
	switch (event) {
	case XACT_EVENT_PRE_COMMIT:
	case XACT_EVENT_PARALLEL_PRE_COMMIT:
	case XACT_EVENT_PRE_PREPARE:
	case XACT_EVENT_ABORT:
	case XACT_EVENT_PARALLEL_ABORT:
		FlushAudit();
		break;
	default:
		break;
	}
}

// AuditSubXactCallback hands the counts over when a subtransaction aborts
// (ROLLBACK TO SAVEPOINT, an exception block): its values were returned.
void
AuditSubXactCallback(SubXactEvent event, SubTransactionId sub, SubTransactionId parent, void *arg) {
	if (event == SUBXACT_EVENT_ABORT_SUB)
		FlushAudit();
}

} // namespace

void
InitAudit() {
	RegisterXactCallback(AuditXactCallback, NULL);
	RegisterSubXactCallback(AuditSubXactCallback, NULL);
}

bool
AuditPending() {
	return npending > 0;
}

void
CountDetokenized(const char *format, int64 n) {
	Oid user = GetUserId();
	for (int i = 0; i < npending; i++) {
		if (pending[i].user == user && strcmp(pending[i].record.format, format) == 0) {
			pending[i].record.count += n;
			return;
		}
	}
	if (npending == kMaxPending)
		FlushAudit();
	// the new count's record is reserved before its first value is returned:
	// a full queue refuses the disclosure (53400)
	PendingCount *entry = &pending[npending];
	memset(entry, 0, sizeof(PendingCount));
	FillIdentity(&entry->record);
	entry->user = user;
	entry->record.action = kDisclosureDetokenize;
	strlcpy(entry->record.format, format, sizeof(entry->record.format));
	ReserveAuditSlot();
	entry->record.count = n;
	npending++;
}

void
FlushAudit() {
	int nrows = npending;
	npending = 0;
	TimestampTz now = GetCurrentTimestamp();
	for (int i = 0; i < nrows; i++) {
		pending[i].record.logged_at = now;
		EnqueueReserved(&pending[i].record);
	}
}

} // namespace privacy::pg
