// object_access.cpp: keeps the extension's catalog consistent with the
// objects it names. When a table, a column or a role is dropped, the rows
// that refer to it are deleted in the same transaction (rows in our tables
// are not objects, so pg_depend cannot do it): policies, exemptions,
// retention, classification, discovery findings and the subject registry. Rows are deleted with
// plain heap deletes: the role running DROP may have no privilege on our tables, and the planner
// must not be re-entered from here. Drops that would destroy a legal hold or the triggers enforcing
// it are refused (legal_holds.cpp).
#include "pg/hooks/object_access.hpp"
#include "pg/catalog/categories.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/legal_holds.hpp"
#include "pg/catalog/row_policies.hpp"
#include "pg/catalog/stored_expressions.hpp"
#include "pg/fmgr/audit_trigger.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_trigger.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "utils/inval.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace privacy::pg {

namespace {

object_access_hook_type prev_object_access = NULL;

// DeleteRows deletes the rows of privacy.<table> whose attribute key_attno
// equals key (and, when column is given, whose attribute column_attno is
// that column name).
void
DeleteRows(const char *table, AttrNumber key_attno, Oid key, AttrNumber column_attno,
           const char *column) {
	Oid relid = PrivacyTable(table);
	if (!OidIsValid(relid))
		return;
	Relation rel = table_open(relid, RowExclusiveLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while ((tup = systable_getnext(scan)) != NULL) {
		bool isnull;
		Datum value = heap_getattr(tup, key_attno, RelationGetDescr(rel), &isnull);
		if (isnull || DatumGetObjectId(value) != key)
			continue;
		if (column != NULL) {
			Datum name = heap_getattr(tup, column_attno, RelationGetDescr(rel), &isnull);
			if (isnull || strcmp(NameStr(*DatumGetName(name)), column) != 0)
				continue;
		}
		simple_heap_delete(rel, &tup->t_self);
	}
	systable_endscan(scan);
	table_close(rel, RowExclusiveLock);
	CacheInvalidateRelcacheByRelid(relid);
}

// Unregister removes the subject registrations that the drop of relid (of
// its column, when given) leaves unresolvable: the table's own registration
// when its subject column goes, and those of tables registered through it,
// with a warning naming each (erasure and export stop covering them). Each
// removal is written to privacy.audit_log: a registration disappears only
// visibly, whoever dropped what.
void
Unregister(Oid relid, const char *column) {
	Oid registry = PrivacyTable("_subject_table");
	if (!OidIsValid(registry))
		return;
	Relation rel = table_open(registry, RowExclusiveLock);
	TupleDesc desc = RelationGetDescr(rel);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while ((tup = systable_getnext(scan)) != NULL) {
		bool isnull;
		Oid table = DatumGetObjectId(heap_getattr(tup, 1, desc, &isnull));
		char *subject_column = NameStr(*DatumGetName(heap_getattr(tup, 2, desc, &isnull)));
		Datum via_datum = heap_getattr(tup, 3, desc, &isnull);
		Oid via = isnull ? InvalidOid : DatumGetObjectId(via_datum);
		Datum via_column_datum = heap_getattr(tup, 4, desc, &isnull);
		const char *via_column = isnull ? NULL : NameStr(*DatumGetName(via_column_datum));
		bool own = table == relid && (column == NULL || strcmp(subject_column, column) == 0);
		bool through = OidIsValid(via) && via == relid &&
		               (column == NULL || (via_column != NULL && strcmp(via_column, column) == 0));
		if (!own && !through)
			continue;
		char *name = get_rel_name(table);
		char *schema = name != NULL ? get_namespace_name(get_rel_namespace(table)) : NULL;
		const char *qualified =
		        name != NULL && schema != NULL ? quote_qualified_identifier(schema, name) : "?";
		if (through && table != relid)
			ereport(WARNING,
			        (errmsg("table %s is no longer registered as holding data about subjects",
			                qualified),
			         errdetail(
			                 "It was registered through a table or column that is being dropped."),
			         errhint("Register it again with privacy.register_subject().")));
		WritePolicyAudit(
		        "delete subject_table", "privacy._subject_table",
		        psprintf("table %s, subject column %s (the registration went with a dropped %s)",
		                 qualified, subject_column,
		                 own ? "table or column" : "table or column it referenced"),
		        NULL);
		simple_heap_delete(rel, &tup->t_self);
	}
	systable_endscan(scan);
	table_close(rel, RowExclusiveLock);
}

// PrivacyObjectAccess handles OAT_DROP of tables, columns and roles,
// OAT_POST_ALTER of columns (renames) and every event of an extension.
void
PrivacyObjectAccess(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id, void *arg) {
	if (prev_object_access != NULL)
		prev_object_access(access, class_id, object_id, sub_id, arg);
	// an extension created, altered (UPDATE, ADD/DROP of a member) or
	// dropped: pg_privacy's catalog is found through its extension's
	// members (extension_schema.hpp), which no catalog cache follows
	if (class_id == ExtensionRelationId && IsTransactionState())
		NoteExtensionChange();
	// a renamed column: the stored policy expressions taking it keep its
	// name for their argument (what pg_restore maps them by)
	if (access == OAT_POST_ALTER && class_id == RelationRelationId && sub_id > 0 &&
	    !IsBinaryUpgrade && IsTransactionState())
		SyncStoredExpressionNames(object_id, (AttrNumber)sub_id);
	if (access != OAT_DROP || IsBinaryUpgrade || !IsTransactionState())
		return;

	if (class_id == RelationRelationId) {
		// retention: a dropped table loses its policy and its released holds
		// (its OID could be reused by a new table); a dropped time column its
		// policy. A table with an active hold, or one an active hold protects
		// that the utility hook did not clear, is not dropped at all (issue
		// 15): hold rows disappear only through privacy.release_hold().
		if (get_rel_namespace(object_id) != PrivacySchema()) {
			if (sub_id == 0) {
				CheckDropOfRelation(object_id);
				DeleteRows("_retention_policy", 1, object_id, 0, NULL);
				DeleteRows("_legal_hold", 2, object_id, 0, NULL);
				// findings and the subject registry: a new table that gets
				// the same OID must not inherit them (classifications: below)
				DeleteRows("_discovery", 1, object_id, 0, NULL);
				Unregister(object_id, NULL);
			} else {
				char *column = get_attname(object_id, (AttrNumber)sub_id, true);
				if (column != NULL) {
					DeleteRows("_retention_policy", 1, object_id, 2, column);
					DeleteRows("_discovery", 1, object_id, 2, column);
					// a table identified by the dropped column is no longer
					// resolvable to its subjects
					Unregister(object_id, column);
				}
			}
		}
		if (IsCatalogTable(object_id))
			return;
		// the policy cache (which loads the category catalog with it) first:
		// a backend that never planned a governed query has not loaded it
		bool masks = CatalogMentionsRelation(object_id);
		// issue 18: classifications, category, default-deny and lineage rows
		// go with their table or column (a reused OID must not inherit them)
		if (CategoryCatalogMentionsRelation(object_id)) {
			char *column = sub_id == 0 ? NULL : get_attname(object_id, (AttrNumber)sub_id, true);
			if (sub_id == 0 || column != NULL) {
				DeleteRows("_classification", 1, object_id, 2, column);
				DeleteRows("_not_personal", 1, object_id, 2, column);
				DeleteRows("_new_column", 1, object_id, 2, column);
				// (rows naming a dropped source stay: the derived column
				// stays masked, categories.cpp)
				DeleteRows("_derived_column", 1, object_id, 2, column);
				if (sub_id == 0)
					DeleteRows("_default_deny_off", 1, object_id, 0, NULL);
				CacheInvalidateRelcacheByRelid(object_id);
			}
		}
		bool rows = RowPolicyMentionsRelation(object_id);
		if (!masks && !rows)
			return;
		if (sub_id == 0) {
			DeleteRows("_column_policy", 1, object_id, 0, NULL);
			DeleteRows("_unmasked", 2, object_id, 0, NULL);
			DeleteRows("_governed_table", 1, object_id, 0, NULL);
			if (rows)
				DeleteRows("_row_policy", 1, object_id, 0, NULL);
		} else {
			char *column = get_attname(object_id, (AttrNumber)sub_id, true);
			if (column == NULL)
				return;
			DeleteRows("_column_policy", 1, object_id, 2, column);
			DeleteRows("_unmasked", 2, object_id, 3, column);
			// a consent requirement on the dropped subject column goes with it
			if (rows)
				DeleteRows("_row_policy", 1, object_id, 4, column);
			CacheInvalidateRelcacheByRelid(object_id);
		}
	} else if (class_id == TriggerRelationId) {
		// the triggers enforcing a legal hold go only with the hold
		CheckDropOfTrigger(object_id);
	} else if (class_id == AuthIdRelationId) {
		if (CategoryCatalogMentionsRole(object_id)) {
			DeleteRows("_category_unmasked", 1, object_id, 0, NULL);
			CacheInvalidateRelcacheAll();
		}
		if (!CatalogMentionsRole(object_id))
			return;
		DeleteRows("_unmasked", 1, object_id, 0, NULL);
		CacheInvalidateRelcacheAll();
	}
}

} // namespace

void
InstallObjectAccessHook() {
	prev_object_access = object_access_hook;
	object_access_hook = PrivacyObjectAccess;
}

} // namespace privacy::pg
