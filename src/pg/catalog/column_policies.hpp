// column_policies.hpp: the per-backend cache of column masking policies.
//
// The extension's catalog (privacy._column_policy, privacy._unmasked,
// privacy._governed_table) is read with direct heap scans, never SPI, so the
// planner hook can consult it without re-entering itself and without the
// querying role needing any privilege on it. Entries are invalidated by
// relcache invalidations of governed tables and of the catalog tables (the
// policy API sends them), and released only when no planner call is using
// them (Pin/Unpin).
#pragma once

#include "pg/postgres.hpp"
// the expression analyzer and the fixed search_path moved out of this file;
// included here for the callers that still expect them from it
#include "pg/catalog/policy_expressions.hpp"
#include "pg/search_path.hpp"

extern "C" {
#include "access/attnum.h"
#include "nodes/nodes.h"
#include "nodes/pg_list.h"
}

namespace privacy::pg {

// MaskedColumn is one masked column of a queried relation. The policy may be
// declared on the relation itself or inherited from an ancestor (partitioned
// or inheritance parent); it is always resolved by column name.
struct MaskedColumn {
	AttrNumber attnum; // attribute number in the queried relation
	NameData column;   // column name
	Oid source_relid;  // relation that declares the policy
	char *mask_text;   // canonical mask text as declared (0.1.0 catalogs use it)
	Oid mask_function; // the stored expression (stored_expressions.hpp)
	bool stored;       // mask_function is set (else mask_text is parsed)
	Node *mask_expr;   // analyzed against the queried relation (varno 1), built lazily
	Oid atttype;       // the column's type, typmod and collation
	int32 atttypmod;
	Oid attcollation;
	// issue 18 (categories.hpp): what masks the column. 'm': a mask_column
	// policy; 'c': the protection bound to its category (category set);
	// 'd': a new column denied by default; 'l': lineage, masked for a role
	// only while one of its sources (source_relids/source_columns) is.
	char kind;
	const char *category;
	int nsources;
	Oid *source_relids;
	NameData *source_columns;
	// issue 19 (masking_output.hpp): whether the mask can be evaluated at a
	// statement's output from a per-backend compiled form; 0: not known yet
	char output_form;
};

// GovernedRel describes the masking policies that apply to one relation.
struct GovernedRel {
	Oid relid;     // hash key
	bool governed; // false: a cached negative answer
	int ncolumns;
	MaskedColumn *columns;
	// the last user the columns were decided for (MaskedColumnsFor)
	Oid decided_user;
	uint64 decided_epoch;
	bool *decided_masked;
	bool decided_any;
};

// AppendMaskedColumn adds a zeroed column to entry (cache memory) and
// returns it; *cap is the allocated length of entry->columns.
MaskedColumn *AppendMaskedColumn(GovernedRel *entry, int *cap);

// ColumnPolicyCacheContext is the memory context of the cache.
MemoryContext ColumnPolicyCacheContext();

// InitColumnPolicyCache registers the invalidation callbacks. Called once
// from _PG_init.
void InitColumnPolicyCache();

// ColumnPolicyCatalogPresent reports whether this database has the
// extension's column-policy catalog (i.e. pg_privacy is installed).
bool ColumnPolicyCatalogPresent();

// AnyColumnPolicy reports whether at least one column policy exists.
bool AnyColumnPolicy();

// RowSecurityEnabledByPrivacy reports whether pg_privacy turned on row
// security for relid (then it also supplies the permissive policy that keeps
// every row visible: masking never hides rows). A Citus shard answers as
// its table (citus.hpp).
bool RowSecurityEnabledByPrivacy(Oid relid);

// CatalogMentionsRelation / CatalogMentionsRole: whether any catalog row
// refers to the relation or role (drop cleanup).
bool CatalogMentionsRelation(Oid relid);
bool CatalogMentionsRole(Oid roleid);

// IsCatalogTable reports whether relid is one of the column-policy tables.
bool IsCatalogTable(Oid relid);

// MaybeCatalogTable answers the same question without reading any catalog,
// for invalidation callbacks (which run in every process that loaded the
// library, launchers without a database included, and must never access
// catalogs): true when relid is one of the masking catalog tables or when
// their OIDs are not known in this process yet.
bool MaybeCatalogTable(Oid relid);

// LookupGovernedRel returns the policies applying to relid, or NULL.
const GovernedRel *LookupGovernedRel(Oid relid);

// MaskExpression returns the analyzed mask of rel->columns[index] (Vars have
// varno 1), coerced to the column's type; callers must copyObject it.
Node *MaskExpression(const GovernedRel *rel, int index);

// ColumnMaskedFor reports whether userid sees rel->columns[index] masked:
// everyone is masked except superusers and roles with (membership in) an
// exemption for all tables, the table, or that column.
bool ColumnMaskedFor(const GovernedRel *rel, int index, Oid userid);

// MaskedColumnsFor returns ColumnMaskedFor for every column of rel at once
// (array indexed like rel->columns; *any: whether one is masked), decided
// once per user and kept until the policies, exemptions or any role
// membership or attribute change: the planner asks it for every relation
// of every statement.
const bool *MaskedColumnsFor(const GovernedRel *rel, Oid userid, bool *any);

// HasRelationExemption reports whether userid holds (directly or through
// INHERIT membership) an exemption covering all of relid: one for every
// table, or one for relid or an ancestor without a column.
bool HasRelationExemption(Oid relid, Oid userid);

// InheritanceAncestors lists relid's partition/inheritance ancestors,
// nearest first; a Citus shard's first ancestor is its table (citus.hpp).
List *InheritanceAncestors(Oid relid);

// PinColumnPolicyCache / UnpinColumnPolicyCache bracket a use of cache
// entries; an invalidated cache is only freed when nothing holds a pin.
void PinColumnPolicyCache();
void UnpinColumnPolicyCache();

// MaskGeneration changes whenever a mask, an exemption, a governed
// relation, a function or a role membership or attribute may have changed
// (the events that make cached masking decisions stale): compiled masks
// (masking_output.hpp) are reused only within one generation.
uint64 MaskGeneration();

// HoldColumnPolicyCache pins like PinColumnPolicyCache but never resets a
// stale cache first: for use while a caller may hold entries without a pin
// (issue 18: a lineage column looks up its sources). Released with
// UnpinColumnPolicyCache.
void HoldColumnPolicyCache();

} // namespace privacy::pg
