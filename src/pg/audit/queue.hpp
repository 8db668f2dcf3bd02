// queue.hpp: the durable disclosure audit, a bounded queue in shared memory.
//
// Why: an audit row written inside the disclosing transaction disappears
// when that transaction (or the subtransaction) rolls back, although the
// values were already returned. Disclosures (detokenize, export_subject) are
// therefore recorded outside the transaction: the backend puts a record into
// a fixed-size queue in shared memory (never waits, never allocates), and the
// audit writer (workers/audit_writer.cpp) inserts the records into
// privacy.audit_log of their database in its own transactions. Only the
// queue writes disclosure rows, so a committed disclosure is recorded once.
//
// Bound and back-pressure: privacy.audit_queue_size records (postmaster
// setting). A disclosure reserves its record *before* any value is returned
// (ReserveAuditSlot); when the queue is full the disclosure is refused with
// SQLSTATE 53400 instead of disclosing unaudited. A reserved record is always
// enqueued (EnqueueReserved cannot fail), at the latest when the backend's
// transaction ends or the backend exits.
//
// Crash: the queue lives in shared memory. If the server crashes (a backend
// killed by a signal makes the postmaster reinitialize shared memory), the
// records not yet written are lost; the writer is woken at every enqueue, so
// the window is the writer's latency (milliseconds).
//
// Records hold role names, action, format, counts and a subject pseudonym,
// never a value or a token.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "datatype/timestamp.h"
#include "storage/latch.h"
}

namespace privacy::pg {

constexpr int kAuditObjectBytes = 256;

// DisclosureAction is the kind of a disclosure record.
enum DisclosureAction : int32 { kDisclosureDetokenize = 1, kDisclosureExport = 2 };

// DisclosureRecord is one future row of privacy.audit_log (plain data).
struct DisclosureRecord {
	TimestampTz logged_at;
	NameData role;
	NameData session_role;
	int32 action;
	char format[NAMEDATALEN];
	int64 count;
	char object[kAuditObjectBytes];
};

// InstallAuditQueue installs the shared-memory request and startup hooks
// (preload only).
void InstallAuditQueue();

// ReserveAuditSlot reserves one record for this backend. Raises 55000 when
// the library is not preloaded (no queue) and 53400 when the queue is full.
void ReserveAuditSlot();

// ReleaseAuditSlot gives back one reservation that will not be used.
void ReleaseAuditSlot() noexcept;

// EnqueueReserved turns one of this backend's reservations into a queued
// record for the current database and wakes the writer. Never raises.
void EnqueueReserved(const DisclosureRecord *record) noexcept;

// FillIdentity sets logged_at, role (current user) and session_role.
void FillIdentity(DisclosureRecord *record);

// --- for the audit writer -------------------------------------------------

// SetAuditWriterLatch registers the latch enqueuers set (NULL to clear).
void SetAuditWriterLatch(Latch *latch) noexcept;

// QueuedDatabases stores up to max distinct databases with queued
// (unclaimed) records; returns how many.
int QueuedDatabases(Oid *out, int max) noexcept;

// ClaimAuditRecords marks up to max queued records of dboid as claimed and
// copies them out; returns how many.
int ClaimAuditRecords(Oid dboid, DisclosureRecord *out, int max) noexcept;

// FinishClaims frees (written) or re-queues (!written) the claimed records
// of dboid; returns how many.
int FinishClaims(Oid dboid, bool written) noexcept;

// DropQueued frees every record of dboid (its database no longer exists);
// returns how many.
int DropQueued(Oid dboid) noexcept;

// QueuedFor counts the records of dboid not yet written (queued or claimed).
int QueuedFor(Oid dboid) noexcept;

// AuditQueueAvailable reports whether the shared queue exists.
bool AuditQueueAvailable() noexcept;

} // namespace privacy::pg
