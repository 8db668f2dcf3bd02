// categories.hpp: classification-driven protection (issue 18), resolved
// into the column policy cache (column_policies.hpp) so that the planner,
// the authorship rule and the write-back guard see one list of masked
// columns per relation.
//
// The catalog (privacy._category_binding, _category_unmasked,
// _classification, _not_personal, _new_column, _default_deny_off,
// _derived_column) is read with heap scans when the column policy cache
// loads; tables that do not exist yet (a 0.1.0 database with this library)
// read as empty.
#pragma once

#include "pg/catalog/column_policies.hpp"

namespace privacy::pg {

// ExpandCategoryMask returns the text of a category protection applied to
// `column`: every reference to `value` replaced by the quoted column name.
// Raises 22023 unless the text is one expression whose only column
// reference is `value` (column NULL: check only).
char *ExpandCategoryMask(const char *mask, const char *column);

// LoadCategoryCatalog reads the catalog into cxt (called by the cache
// loader); ResetCategoryCatalog forgets it (no memory freed: the cache
// context is reset by the caller).
void LoadCategoryCatalog(MemoryContext cxt);
void ResetCategoryCatalog();

// CategoryCatalogPresent: this database has the tables (pg_privacy 0.2.0);
// valid once the column policy cache is loaded.
bool CategoryCatalogPresent();

// IsCategoryCatalogTable: relid is one of the tables above (cached OIDs,
// no catalog access).
bool IsCategoryCatalogTable(Oid relid);

// CategoryPoliciesLoaded: the loaded catalog may mask a column (a bound
// category with a classified column, a new column, a lineage record).
bool CategoryPoliciesLoaded();

// CategoryCatalogMentionsRelation / Role: rows to delete when the object
// is dropped.
bool CategoryCatalogMentionsRelation(Oid relid);
bool CategoryCatalogMentionsRole(Oid roleid);

// AddCategoryColumns appends to entry, after its mask_column policies, the
// columns masked by a category protection, default deny, a generated
// column's sources and recorded lineage. ancestors: entry->relid's
// ancestors, nearest first.
void AddCategoryColumns(GovernedRel *entry, List *ancestors, int *cap);

// CategoryColumnMaskedFor decides for a column of kind 'c' (exempt by a
// category exemption) or 'l' (masked while a source is) once the ordinary
// exemptions did not exempt userid.
bool CategoryColumnMaskedFor(const MaskedColumn *col, Oid userid);

} // namespace privacy::pg
