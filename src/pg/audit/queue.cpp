// queue.cpp: the bounded shared-memory queue of disclosure records (see
// queue.hpp for the contract).
//
// Layout: one header (lock, capacity, counters, writer latch) followed by
// capacity slots. A slot is free, queued (waiting for the writer) or claimed
// (being written by the writer of its database). Reservations are counted,
// not placed: used + reserved never exceeds capacity, so a reserved record
// always finds a free slot.
//
// C-style glue: no C++ objects, no allocation after startup, nothing that
// raises while the lock is held.
#include "pg/audit/queue.hpp"
#include "pg/guc.hpp"

#include "pg/keys/audit.hpp"
#include "pg/module.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

namespace privacy::pg {

namespace {

constexpr const char *kTranche = "pg_privacy audit queue";

enum SlotState : int32 { kFree = 0, kQueued = 1, kClaimed = 2 };

struct Slot {
	int32 state;
	Oid dboid;
	DisclosureRecord record;
};

struct Queue {
	LWLock *lock;
	Latch *writer_latch;
	int capacity;
	int used;     // queued + claimed
	int reserved; // promised to backends, not yet queued
	uint64 enqueued;
	Slot slots[FLEXIBLE_ARRAY_MEMBER];
};

Queue *queue = NULL;
shmem_request_hook_type prev_shmem_request = NULL;
shmem_startup_hook_type prev_shmem_startup = NULL;
int my_reserved = 0; // reservations this backend holds
bool exit_registered = false;

Size
QueueSize() {
	return add_size(offsetof(Queue, slots), mul_size(sizeof(Slot), (Size)guc_audit_queue_size));
}

void
AuditShmemRequest() {
	if (prev_shmem_request != NULL)
		prev_shmem_request();
	RequestAddinShmemSpace(QueueSize());
	RequestNamedLWLockTranche(kTranche, 1);
}

void
AuditShmemStartup() {
	if (prev_shmem_startup != NULL)
		prev_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	bool found;
	queue = (Queue *)ShmemInitStruct(kTranche, QueueSize(), &found);
	if (!found) {
		memset(queue, 0, QueueSize());
		queue->lock = &(GetNamedLWLockTranche(kTranche))->lock;
		queue->capacity = guc_audit_queue_size;
	}
	LWLockRelease(AddinShmemInitLock);
}

// AtExit writes what this backend still counts and returns unused
// reservations (a backend that exits never leaks queue capacity).
void
AtExit(int code, Datum arg) {
	FlushAudit();
	if (queue != NULL && my_reserved > 0) {
		LWLockAcquire(queue->lock, LW_EXCLUSIVE);
		queue->reserved -= my_reserved;
		LWLockRelease(queue->lock);
		my_reserved = 0;
	}
}

} // namespace

void
InstallAuditQueue() {
	prev_shmem_request = shmem_request_hook;
	shmem_request_hook = AuditShmemRequest;
	prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = AuditShmemStartup;
}

bool
AuditQueueAvailable() noexcept {
	return queue != NULL;
}

void
ReserveAuditSlot() {
	if (queue == NULL)
		RequirePreload(
		        gettext_noop("audited disclosure (detokenize, export_subject) requires pg_privacy "
		                     "in shared_preload_libraries"));
	if (!exit_registered) {
		before_shmem_exit(AtExit, (Datum)0);
		exit_registered = true;
	}
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	bool full = queue->used + queue->reserved >= queue->capacity;
	if (!full)
		queue->reserved++;
	Latch *writer = queue->writer_latch;
	LWLockRelease(queue->lock);
	if (full) {
		if (writer != NULL)
			SetLatch(writer);
		ereport(ERROR, (errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
		                errmsg("disclosure refused: the audit queue is full"),
		                errdetail("Values are disclosed only when their audit record can be "
		                          "queued; %d records wait for the audit writer.",
		                          guc_audit_queue_size),
		                errhint("Retry shortly. If it persists, check that the pg_privacy audit "
		                        "writer runs and raise privacy.audit_queue_size."),
		                errhidestmt(true)));
	}
	my_reserved++;
}

void
ReleaseAuditSlot() noexcept {
	if (queue == NULL || my_reserved <= 0)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	queue->reserved--;
	LWLockRelease(queue->lock);
	my_reserved--;
}

void
EnqueueReserved(const DisclosureRecord *record) noexcept {
	if (queue == NULL)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	// a reservation guarantees a free slot; without one (cannot happen:
	// every caller reserved first) the record still goes in if one is free
	bool had_reservation = my_reserved > 0;
	Slot *slot = NULL;
	if (had_reservation || queue->used + queue->reserved < queue->capacity) {
		for (int i = 0; i < queue->capacity; i++) {
			if (queue->slots[i].state == kFree) {
				slot = &queue->slots[i];
				break;
			}
		}
	}
	if (slot != NULL) {
		slot->state = kQueued;
		slot->dboid = MyDatabaseId;
		memcpy(&slot->record, record, sizeof(DisclosureRecord));
		queue->used++;
		queue->enqueued++;
	}
	if (had_reservation) {
		queue->reserved--;
		my_reserved--;
	}
	Latch *writer = queue->writer_latch;
	LWLockRelease(queue->lock);
	if (writer != NULL)
		SetLatch(writer);
}

void
FillIdentity(DisclosureRecord *record) {
	record->logged_at = GetCurrentTimestamp();
	namestrcpy(&record->role, GetUserNameFromId(GetUserId(), false));
	namestrcpy(&record->session_role, GetUserNameFromId(GetSessionUserId(), false));
}

void
SetAuditWriterLatch(Latch *latch) noexcept {
	if (queue == NULL)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	queue->writer_latch = latch;
	LWLockRelease(queue->lock);
}

int
QueuedDatabases(Oid *out, int max) noexcept {
	int n = 0;
	if (queue == NULL)
		return 0;
	LWLockAcquire(queue->lock, LW_SHARED);
	for (int i = 0; i < queue->capacity && n < max; i++) {
		if (queue->slots[i].state != kQueued)
			continue;
		Oid db = queue->slots[i].dboid;
		bool seen = false;
		for (int j = 0; j < n; j++)
			seen = seen || out[j] == db;
		if (!seen)
			out[n++] = db;
	}
	LWLockRelease(queue->lock);
	return n;
}

int
ClaimAuditRecords(Oid dboid, DisclosureRecord *out, int max) noexcept {
	int n = 0;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	for (int i = 0; i < queue->capacity && n < max; i++) {
		Slot *slot = &queue->slots[i];
		if (slot->state != kQueued || slot->dboid != dboid)
			continue;
		slot->state = kClaimed;
		memcpy(&out[n++], &slot->record, sizeof(DisclosureRecord));
	}
	LWLockRelease(queue->lock);
	return n;
}

int
FinishClaims(Oid dboid, bool written) noexcept {
	int n = 0;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	for (int i = 0; i < queue->capacity; i++) {
		Slot *slot = &queue->slots[i];
		if (slot->state != kClaimed || slot->dboid != dboid)
			continue;
		n++;
		if (written) {
			slot->state = kFree;
			queue->used--;
		} else {
			slot->state = kQueued;
		}
	}
	LWLockRelease(queue->lock);
	return n;
}

int
DropQueued(Oid dboid) noexcept {
	int n = 0;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	for (int i = 0; i < queue->capacity; i++) {
		Slot *slot = &queue->slots[i];
		if (slot->state == kFree || slot->dboid != dboid)
			continue;
		slot->state = kFree;
		queue->used--;
		n++;
	}
	LWLockRelease(queue->lock);
	return n;
}

int
QueuedFor(Oid dboid) noexcept {
	int n = 0;
	if (queue == NULL)
		return 0;
	LWLockAcquire(queue->lock, LW_SHARED);
	for (int i = 0; i < queue->capacity; i++)
		if (queue->slots[i].state != kFree && queue->slots[i].dboid == dboid)
			n++;
	LWLockRelease(queue->lock);
	return n;
}

} // namespace privacy::pg
