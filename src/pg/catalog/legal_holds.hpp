// legal_holds.hpp: legal holds across table families (issue 15), as the
// hooks see them.
//
// A hold applies to every table that shares a family root (a top-most
// partition or inheritance ancestor) with the table it was placed on. The
// utility hook refuses DROP TABLE, DETACH PARTITION, NO INHERIT and TRUNCATE
// when they would take held rows (or a hold's table) out of the family; the
// object-access hook is the backstop for drops that reach a table or a hold
// trigger by another way (DROP SCHEMA ... CASCADE, DROP OWNED, DROP COLUMN
// ... CASCADE, DROP TRIGGER). Catalog reads are heap scans, never SPI; the
// held-row checks run as each table's owner through SPI.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "executor/tuptable.h"
#include "storage/lockdefs.h"
#include "utils/relcache.h"
}

namespace privacy::pg {

// InitLegalHolds registers the transaction callback that forgets the
// per-statement state below. Called once from _PG_init.
void InitLegalHolds();

// AnyActiveHold reports whether this database has pg_privacy with at least
// one active legal hold.
bool AnyActiveHold();

// HoldAction names the statement CheckFamilyHolds and CheckLeavingRows
// check (for the messages).
enum class HoldAction { kDetachPartition, kDropTable, kNoInherit, kSetUnlogged, kTruncate };

// CheckFamilyHolds raises 55006 when `action` on relid, and with subtree on its partitions/children
// too, would take away rows under an active hold that applies to them, or,
// with placed, a table a hold was placed on. Rows are read as each table's
// owner under SECURITY_RESTRICTED_OPERATION, with masking and forced row
// security off. Messages name holds by id and reason, never a value.
// lockmode (or NoLock) is taken on the tables first. Callers check first
// that the current user may run the statement at all, so that nobody else
// learns whether a table holds held rows.
void CheckFamilyHolds(Oid relid, bool subtree, bool placed, HoldAction action, LOCKMODE lockmode);

// CheckLeavingRows raises 55006 when relid (or its partitions/children),
// which has just left the family of old_parent in this transaction (DETACH
// PARTITION, NO INHERIT, still holding the statement's locks), has rows under
// an active hold of that family: the check before the statement could miss
// rows inserted meanwhile.
void CheckLeavingRows(Oid relid, Oid old_parent, HoldAction action);

// ClearDrop records that relid passed CheckFamilyHolds for the running
// utility statement, so that the object-access backstop lets it (and its
// hold triggers) go. ClearedMark/ResetCleared bracket a statement.
void ClearDrop(Oid relid);
int ClearedMark();
void ResetCleared(int mark);

// SetHoldMaintenance: privacy._sync_hold_triggers() is adding or dropping
// hold triggers (reset at transaction end).
void SetHoldMaintenance(bool active);

// HasHoldTrigger reports whether relid carries a hold trigger (named name,
// or any when name is NULL).
bool HasHoldTrigger(Oid relid, const char *name);

// HoldTriggersUseColumn reports whether an active hold that applies to
// relid (which carries its triggers) uses the named column in its condition
// (true too when the condition no longer validates: fail closed).
bool HoldTriggersUseColumn(Oid relid, const char *column);

// HoldKeepsRow reports whether legal hold `hold` keeps the row in slot (a
// row of rel): its stored condition is TRUE for the row, evaluated as rel's
// owner inside SECURITY_RESTRICTED_OPERATION (the C hold guard, issue 19).
// The condition is read from privacy._legal_hold once per statement,
// validated again (ValidatePolicyExpression, hold rules) when it is
// (re)loaded, and its prepared expression cached per backend (dropped by
// relcache, pg_proc, pg_type, pg_cast, pg_operator and pg_authid
// invalidations). Fail closed (true, with a WARNING naming the hold id,
// never the condition): a condition that no longer validates, a hold whose
// stored form is gone, a superuser's table under a hold placed by another
// role, an evaluation error. fallback: the canonical condition carried by
// the trigger of a Citus table, used only where the hold's row is missing
// (on the workers, which do not get privacy._legal_hold); a released hold
// keeps nothing.
bool HoldKeepsRow(int64 hold, Relation rel, TupleTableSlot *slot, const char *fallback,
                  const char *fallback_placer);

// CheckDropOfRelation and CheckDropOfTrigger are the object-access
// backstop: a table a hold was placed on is never dropped; a table an active
// hold applies to, or a hold trigger, only when the utility hook cleared it.
void CheckDropOfRelation(Oid relid);
void CheckDropOfTrigger(Oid trigger_oid);

// CheckFamilyRoot raises 42809 when relid is a partition or inheritance
// child: policies (masks, consent, filters, hiding expired rows) are
// declared on the root of a family, where they cover every member; one
// declared on a member would be bypassed by every query through its parent.
// what: the action as the API names it ("mask columns of", "add row
// policies to", ...; each has its whole message in legal_holds.cpp).
void CheckFamilyRoot(Oid relid, const char *what);

} // namespace privacy::pg
