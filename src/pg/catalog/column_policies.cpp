// column_policies.cpp: per-backend cache of the column masking catalog and
// of the analyzed masks the planner substitutes (policy_expressions.hpp
// analyzes what a policy declares).
//
// Invariants:
//  * Never uses SPI: the planner hook calls into this file, and SPI would
//    re-enter the planner.
//  * Masks are loaded from their stored, analyzed form (stored_expressions.hpp):
//    what a mask calls was fixed by OID when it was declared. Only a row
//    without one (a 0.1.0 catalog before ALTER EXTENSION UPDATE, a Citus
//    worker's copy) is parsed from its canonical text, with search_path =
//    pg_catalog, pg_temp, so a masked role's search_path or look-alike
//    functions cannot change what it calls either.
//  * Cache memory is released only when no planner call holds a pin, because
//    invalidations arrive in the middle of planning (whenever a lock is
//    taken).
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/cache_memory.hpp"
#include "pg/catalog/categories.hpp"
#include "pg/catalog/citus.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/invalidation.hpp"

#include "pg/catalog/keyed_masks.hpp"
#include "pg/catalog/privileges.hpp"
#include "pg/catalog/stored_expressions.hpp"

extern "C" {
#include "miscadmin.h"
#include "access/relation.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// DirectPolicy is one row of privacy._column_policy.
struct DirectPolicy {
	Oid relid;
	NameData column;
	char *mask;        // canonical text (used only by a 0.1.0 catalog)
	Oid mask_function; // the stored expression (stored_expressions.hpp)
};

// Exemption is one row of privacy._unmasked (relid/column may be unset).
struct Exemption {
	Oid role;
	Oid relid;
	NameData column; // empty: every column
};

MemoryContext cache_context = NULL;
bool loaded = false;
bool stale = false;
int pins = 0;
bool catalog_present = false;
Oid policy_table = InvalidOid;
Oid unmasked_table = InvalidOid;
int npolicies = 0;
DirectPolicy *policies = NULL;
int nexemptions = 0;
Exemption *exemptions = NULL;
int nrls_owned = 0;
Oid *rls_owned = NULL; // governed tables whose row security pg_privacy enabled
Oid governed_table = InvalidOid;
HTAB *rel_cache = NULL;
uint64 role_epoch = 1;      // bumped by every role membership or attribute change
uint64 mask_generation = 1; // MaskGeneration()

// ResetCache drops everything; only called with no pins.
void
ResetCache() {
	mask_generation++;
	if (cache_context != NULL)
		MemoryContextReset(cache_context);
	loaded = false;
	stale = false;
	catalog_present = false;
	policy_table = InvalidOid;
	unmasked_table = InvalidOid;
	npolicies = 0;
	policies = NULL;
	nexemptions = 0;
	exemptions = NULL;
	nrls_owned = 0;
	rls_owned = NULL;
	governed_table = InvalidOid;
	rel_cache = NULL;
	ResetCategoryCatalog();
}

// IsOwnTable compares relid with the cached OIDs of the catalog tables (no
// catalog access: callbacks use it too).
bool
IsOwnTable(Oid relid) {
	return relid == policy_table || relid == unmasked_table || relid == governed_table ||
	       IsCategoryCatalogTable(relid);
}

// RelcacheCallback marks the cache stale when a governed relation, a cached
// relation or one of the catalog tables is invalidated.
void
RelcacheCallback(Datum arg, Oid relid) {
	if (!loaded)
		return;
	if (!OidIsValid(relid) || !catalog_present || IsOwnTable(relid)) {
		stale = true;
		mask_generation++;
		return;
	}
	if (rel_cache != NULL && hash_search(rel_cache, &relid, HASH_FIND, NULL) != NULL)
		stale = true;
	for (int i = 0; i < npolicies; i++)
		if (policies[i].relid == relid)
			stale = true;
	if (stale)
		mask_generation++;
}

// RoleCallback forgets plans when role membership or attributes change:
// plans are keyed by role OID only, so a revoked exemption would otherwise
// keep serving an unmasked cached plan to the same role.
void
RoleCallback(Datum arg, int cacheid, uint32 hashvalue) {
	role_epoch++; // per-user decisions are made again (MaskedColumnsFor)
	mask_generation++;
	if (loaded && catalog_present && (npolicies > 0 || CategoryPoliciesLoaded()))
		ResetPlanCache();
}

// EnsureLoaded (re)reads the catalog tables when needed.
void
EnsureLoaded() {
	if (stale && pins == 0)
		ResetCache();
	if (loaded)
		return;

	EnsureCacheContext(&cache_context, "pg_privacy column policies");

	Oid ptab = PrivacyTable("_column_policy");
	Oid utab = PrivacyTable("_unmasked");
	Oid gtab = PrivacyTable("_governed_table");

	rel_cache =
	        CreateOidHash("pg_privacy governed relations", 64, sizeof(GovernedRel), cache_context);
	MemoryContext old;

	if (!OidIsValid(ptab) || !OidIsValid(utab) || !OidIsValid(gtab)) {
		catalog_present = false;
		loaded = true;
		return;
	}

	// Read both tables completely; they are small (one row per masked column
	// or exemption).
	int cap = 16;
	DirectPolicy *rows =
	        (DirectPolicy *)MemoryContextAllocZero(cache_context, sizeof(DirectPolicy) * cap);
	int n = 0;
	Relation rel = table_open(ptab, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while ((tup = systable_getnext(scan)) != NULL) {
		bool isnull[3];
		Datum relid = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull[0]);
		Datum column = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull[1]);
		Datum mask = heap_getattr(tup, 3, RelationGetDescr(rel), &isnull[2]);
		if (isnull[0] || isnull[1] || isnull[2])
			continue;
		// 0.2.0 keeps the analyzed mask as a wrapper function (column 7).
		// Text only: a 0.1.0 catalog (before ALTER EXTENSION UPDATE) or a
		// row copied without its wrapper (Citus workers): parsed as 0.1.0
		// did. A policy whose wrapper was dropped keeps a dangling OID and
		// fails closed when used.
		bool nofn = true;
		Datum fn = RelationGetDescr(rel)->natts >= 7
		                   ? heap_getattr(tup, 7, RelationGetDescr(rel), &nofn)
		                   : (Datum)0;
		if (n == cap) {
			cap *= 2;
			rows = (DirectPolicy *)repalloc(rows, sizeof(DirectPolicy) * cap);
		}
		rows[n].relid = DatumGetObjectId(relid);
		namestrcpy(&rows[n].column, NameStr(*DatumGetName(column)));
		old = MemoryContextSwitchTo(cache_context);
		rows[n].mask = TextDatumGetCString(mask);
		MemoryContextSwitchTo(old);
		rows[n].mask_function = nofn ? InvalidOid : DatumGetObjectId(fn);
		n++;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	int ecap = 16;
	Exemption *ex = (Exemption *)MemoryContextAllocZero(cache_context, sizeof(Exemption) * ecap);
	int ne = 0;
	rel = table_open(utab, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while ((tup = systable_getnext(scan)) != NULL) {
		bool isnull[3];
		Datum role = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull[0]);
		Datum relid = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull[1]);
		Datum column = heap_getattr(tup, 3, RelationGetDescr(rel), &isnull[2]);
		if (isnull[0])
			continue;
		if (ne == ecap) {
			ecap *= 2;
			ex = (Exemption *)repalloc(ex, sizeof(Exemption) * ecap);
		}
		memset(&ex[ne], 0, sizeof(Exemption));
		ex[ne].role = DatumGetObjectId(role);
		ex[ne].relid = isnull[1] ? InvalidOid : DatumGetObjectId(relid);
		if (!isnull[2])
			namestrcpy(&ex[ne].column, NameStr(*DatumGetName(column)));
		ne++;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	int gcap = 16;
	Oid *owned = (Oid *)MemoryContextAllocZero(cache_context, sizeof(Oid) * gcap);
	int ng = 0;
	rel = table_open(gtab, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while ((tup = systable_getnext(scan)) != NULL) {
		bool isnull[2];
		Datum relid = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull[0]);
		Datum by_privacy = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull[1]);
		if (isnull[0] || isnull[1] || !DatumGetBool(by_privacy))
			continue;
		if (ng == gcap) {
			gcap *= 2;
			owned = (Oid *)repalloc(owned, sizeof(Oid) * gcap);
		}
		owned[ng++] = DatumGetObjectId(relid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	rls_owned = owned;
	nrls_owned = ng;
	governed_table = gtab;
	policies = rows;
	npolicies = n;
	exemptions = ex;
	nexemptions = ne;
	policy_table = ptab;
	unmasked_table = utab;
	// issue 18: category bindings, default deny and lineage (categories.cpp)
	LoadCategoryCatalog(cache_context);
	catalog_present = true;
	loaded = true;
}

} // namespace

// InheritanceAncestors lists the inheritance/partition ancestors of relid,
// nearest first.
List *
InheritanceAncestors(Oid relid) {
	List *result = NIL;
	List *queue = list_make1_oid(relid);
	// a Citus shard descends from its table (citus.hpp)
	Oid shell = CitusTableOf(relid);
	if (OidIsValid(shell)) {
		result = lappend_oid(result, shell);
		queue = lappend_oid(queue, shell);
	}
	Relation inh = table_open(InheritsRelationId, AccessShareLock);
	while (queue != NIL) {
		Oid child = linitial_oid(queue);
		queue = list_delete_first(queue);
		ScanKeyData key;
		ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber, F_OIDEQ,
		            ObjectIdGetDatum(child));
		SysScanDesc scan = systable_beginscan(inh, InheritsRelidSeqnoIndexId, true, NULL, 1, &key);
		HeapTuple tup;
		while ((tup = systable_getnext(scan)) != NULL) {
			Oid parent = ((Form_pg_inherits)GETSTRUCT(tup))->inhparent;
			if (!list_member_oid(result, parent)) {
				result = lappend_oid(result, parent);
				queue = lappend_oid(queue, parent);
			}
		}
		systable_endscan(scan);
	}
	table_close(inh, AccessShareLock);
	return result;
}

namespace {

// AddPoliciesOf appends the policies declared on `source` to `entry`,
// resolving each column by name in the queried relation.
void
AddPoliciesOf(GovernedRel *entry, Oid source, int *cap) {
	for (int i = 0; i < npolicies; i++) {
		if (policies[i].relid != source)
			continue;
		AttrNumber attnum = get_attnum(entry->relid, NameStr(policies[i].column));
		if (attnum <= 0)
			continue;
		bool seen = false;
		for (int j = 0; j < entry->ncolumns; j++)
			if (entry->columns[j].attnum == attnum)
				seen = true;
		if (seen)
			continue;
		MaskedColumn *col = AppendMaskedColumn(entry, cap);
		col->kind = 'm';
		col->attnum = attnum;
		col->column = policies[i].column;
		col->source_relid = source;
		col->mask_text = policies[i].mask;
		col->mask_function = policies[i].mask_function;
		col->stored = OidIsValid(col->mask_function);
		col->mask_expr = NULL;
		get_atttypetypmodcoll(entry->relid, attnum, &col->atttype, &col->atttypmod,
		                      &col->attcollation);
	}
}

// NullPreserving reports whether expr is NULL whenever column attnum is:
// the column itself, or a strict function/operator with such an argument.
bool
NullPreserving(Node *expr, AttrNumber attnum) {
	if (expr == NULL)
		return false;
	switch (nodeTag(expr)) {
	case T_Var:
		return ((Var *)expr)->varattno == attnum && ((Var *)expr)->varlevelsup == 0;
	case T_RelabelType:
		return NullPreserving((Node *)((RelabelType *)expr)->arg, attnum);
	case T_CoerceViaIO:
		return NullPreserving((Node *)((CoerceViaIO *)expr)->arg, attnum);
	case T_FuncExpr: {
		FuncExpr *func = (FuncExpr *)expr;
		if (func->funcretset || !func_strict(func->funcid))
			return false;
		ListCell *lc;
		foreach (lc, func->args)
			if (NullPreserving((Node *)lfirst(lc), attnum))
				return true;
		return false;
	}
	case T_OpExpr: {
		OpExpr *op = (OpExpr *)expr;
		set_opfuncid(op);
		if (op->opretset || !func_strict(op->opfuncid))
			return false;
		ListCell *lc;
		foreach (lc, op->args)
			if (NullPreserving((Node *)lfirst(lc), attnum))
				return true;
		return false;
	}
	default:
		return false;
	}
}

// ProcCallback marks the cache stale when a function changes: a stored
// mask's wrapper may have been dropped, or a function a mask calls may have
// changed owner (the trust check runs when a mask is loaded).
void
ProcCallback(Datum arg, int cacheid, uint32 hashvalue) {
	// a function's definition, owner or EXECUTE privilege may have changed
	mask_generation++;
	if (loaded && catalog_present && npolicies > 0)
		stale = true;
}

} // namespace

MaskedColumn *
AppendMaskedColumn(GovernedRel *entry, int *cap) {
	if (entry->ncolumns == *cap) {
		*cap = *cap == 0 ? 4 : *cap * 2;
		entry->columns =
		        entry->columns == NULL
		                ? (MaskedColumn *)MemoryContextAllocZero(cache_context,
		                                                         sizeof(MaskedColumn) * *cap)
		                : (MaskedColumn *)repalloc(entry->columns, sizeof(MaskedColumn) * *cap);
	}
	MaskedColumn *col = &entry->columns[entry->ncolumns++];
	memset(col, 0, sizeof(*col));
	return col;
}

MemoryContext
ColumnPolicyCacheContext() {
	return cache_context;
}

void
InitColumnPolicyCache() {
	RegisterSyscacheInvalidation(PROCOID, ProcCallback, (Datum)0);
	RegisterRelcacheInvalidation(RelcacheCallback, (Datum)0);
	RegisterSyscacheInvalidation(AUTHMEMROLEMEM, RoleCallback, (Datum)0);
	RegisterSyscacheInvalidation(AUTHOID, RoleCallback, (Datum)0);
}

bool
ColumnPolicyCatalogPresent() {
	EnsureLoaded();
	return catalog_present;
}

bool
RowSecurityEnabledByPrivacy(Oid relid) {
	EnsureLoaded();
	if (nrls_owned == 0)
		return false;
	for (int i = 0; i < nrls_owned; i++)
		if (rls_owned[i] == relid)
			return true;
	// a Citus shard keeps the rows of its table (citus.hpp)
	Oid shell = CitusTableOf(relid);
	for (int i = 0; i < nrls_owned && OidIsValid(shell); i++)
		if (rls_owned[i] == shell)
			return true;
	return false;
}

bool
CatalogMentionsRelation(Oid relid) {
	EnsureLoaded();
	if (!catalog_present)
		return false;
	for (int i = 0; i < npolicies; i++)
		if (policies[i].relid == relid)
			return true;
	for (int i = 0; i < nexemptions; i++)
		if (exemptions[i].relid == relid)
			return true;
	for (int i = 0; i < nrls_owned; i++)
		if (rls_owned[i] == relid)
			return true;
	return false;
}

bool
CatalogMentionsRole(Oid roleid) {
	EnsureLoaded();
	if (!catalog_present)
		return false;
	for (int i = 0; i < nexemptions; i++)
		if (exemptions[i].role == roleid)
			return true;
	return false;
}

bool
IsCatalogTable(Oid relid) {
	EnsureLoaded();
	return catalog_present && IsOwnTable(relid);
}

bool
MaybeCatalogTable(Oid relid) {
	return !loaded || !catalog_present || IsOwnTable(relid);
}

bool
AnyColumnPolicy() {
	EnsureLoaded();
	return catalog_present && (npolicies > 0 || CategoryPoliciesLoaded());
}

uint64
MaskGeneration() {
	return mask_generation;
}

void
PinColumnPolicyCache() {
	if (pins == 0 && stale)
		ResetCache();
	pins++;
}

void
HoldColumnPolicyCache() {
	pins++;
}

void
UnpinColumnPolicyCache() {
	if (pins > 0)
		pins--;
}

const GovernedRel *
LookupGovernedRel(Oid relid) {
	EnsureLoaded();
	if (!catalog_present || (npolicies == 0 && !CategoryPoliciesLoaded()) || !OidIsValid(relid))
		return NULL;
	bool found;
	GovernedRel *entry = (GovernedRel *)hash_search(rel_cache, &relid, HASH_ENTER, &found);
	if (!found) {
		entry->governed = false;
		entry->ncolumns = 0;
		entry->columns = NULL;
		entry->decided_user = InvalidOid;
		entry->decided_epoch = 0;
		entry->decided_masked = NULL;
		entry->decided_any = false;
		int cap = 0;
		AddPoliciesOf(entry, relid, &cap);
		// Only children can inherit policies; skip the catalog probe when no
		// policy names another relation.
		bool other = CategoryPoliciesLoaded();
		for (int i = 0; i < npolicies && !other; i++)
			other = policies[i].relid != relid;
		List *ancestors = NIL;
		if (other && get_rel_relkind(relid) != '\0') {
			ListCell *lc;
			ancestors = InheritanceAncestors(relid);
			foreach (lc, ancestors)
				AddPoliciesOf(entry, lfirst_oid(lc), &cap);
		}
		// issue 18: category protections, default deny, lineage; an entry
		// left half-built by an error would read as ungoverned: forget it.
		// Stored generated columns over masked columns follow their sources
		// also in a database that only masks (red-team 5 F4).
		if ((CategoryPoliciesLoaded() || entry->ncolumns > 0) && get_rel_relkind(relid) != '\0') {
			PG_TRY();
			{ AddCategoryColumns(entry, ancestors, &cap); }
			PG_CATCH();
			{
				(void)hash_search(rel_cache, &relid, HASH_REMOVE, NULL);
				PG_RE_THROW();
			}
			PG_END_TRY();
		}
		entry->governed = entry->ncolumns > 0;
	}
	return entry->governed ? entry : NULL;
}

Node *
MaskExpression(const GovernedRel *rel, int index) {
	MaskedColumn *col = &rel->columns[index];
	if (col->mask_expr != NULL)
		return col->mask_expr;

	// keyed masks run through their policy-only entry points (keyed_masks.hpp)
	// the stored tree (no parsing); a 0.1.0 catalog still has text only
	Node *expr = col->stored ? LoadStoredExpression(col->mask_function, rel->relid, col->attnum,
	                                                "mask expression")
	                         : AnalyzeMaskExpression(rel->relid, col->attnum, col->mask_text, true,
	                                                 NULL);
	expr = UseMaskEntryPoints(expr);

	// Keep NULL as NULL: evaluated above an outer join, a mask that is not a
	// strict function of the column would turn null-extended rows into
	// values (and break IS NULL tests). Masks that are strict all the way
	// down to the column already return NULL for NULL and need no guard.
	bool strict_over_column = NullPreserving(expr, col->attnum);
	if (!strict_over_column) {
		Var *var = makeVar(1, col->attnum, col->atttype, col->atttypmod, col->attcollation, 0);
		NullTest *test = makeNode(NullTest);
		test->arg = (Expr *)var;
		test->nulltesttype = IS_NULL;
		test->argisrow = false;
		test->location = -1;
		CaseWhen *when = makeNode(CaseWhen);
		when->expr = (Expr *)test;
		when->result = (Expr *)makeNullConst(col->atttype, col->atttypmod, col->attcollation);
		when->location = -1;
		CaseExpr *guarded = makeNode(CaseExpr);
		guarded->casetype = col->atttype;
		guarded->casecollid = col->attcollation;
		guarded->arg = NULL;
		guarded->args = list_make1(when);
		guarded->defresult = (Expr *)expr;
		guarded->location = -1;
		expr = (Node *)guarded;
	}

	MemoryContext old = MemoryContextSwitchTo(cache_context);
	col->mask_expr = (Node *)copyObject(expr);
	MemoryContextSwitchTo(old);
	return col->mask_expr;
}

bool
HasRelationExemption(Oid relid, Oid userid) {
	EnsureLoaded();
	if (!catalog_present || nexemptions == 0)
		return false;
	List *family = NIL;
	for (int i = 0; i < nexemptions; i++) {
		const Exemption *ex = &exemptions[i];
		if (NameStr(ex->column)[0] != '\0')
			continue;
		if (OidIsValid(ex->relid) && ex->relid != relid) {
			if (family == NIL)
				family = lappend_oid(InheritanceAncestors(relid), relid);
			if (!list_member_oid(family, ex->relid))
				continue;
		}
		if (has_privs_of_role(userid, ex->role))
			return true;
	}
	return false;
}

bool
ColumnMaskedFor(const GovernedRel *rel, int index, Oid userid) {
	if (superuser_arg(userid))
		return false;
	const MaskedColumn *col = &rel->columns[index];
	for (int i = 0; i < nexemptions; i++) {
		const Exemption *ex = &exemptions[i];
		if (OidIsValid(ex->relid) && ex->relid != col->source_relid && ex->relid != rel->relid)
			continue;
		if (NameStr(ex->column)[0] != '\0' &&
		    namestrcmp(const_cast<Name>(&ex->column), NameStr(col->column)) != 0)
			continue;
		if (has_privs_of_role(userid, ex->role))
			return false;
	}
	// issue 18: category exemptions, lineage (categories.cpp)
	if (col->kind == 'c' || col->kind == 'l')
		return CategoryColumnMaskedFor(col, userid);
	return true;
}

const bool *
MaskedColumnsFor(const GovernedRel *rel, Oid userid, bool *any) {
	GovernedRel *entry = const_cast<GovernedRel *>(rel);
	if (entry->decided_user != userid || entry->decided_epoch != role_epoch ||
	    entry->decided_masked == NULL) {
		// a new array: a plan being built may still hold the previous one
		bool *masked =
		        (bool *)MemoryContextAllocZero(cache_context, sizeof(bool) * (rel->ncolumns + 1));
		bool found = false;
		bool super = superuser_arg(userid);
		for (int i = 0; i < rel->ncolumns; i++) {
			masked[i] = !super && ColumnMaskedFor(rel, i, userid);
			found = found || masked[i];
		}
		entry->decided_masked = masked;
		entry->decided_any = found;
		entry->decided_user = userid;
		entry->decided_epoch = role_epoch;
	}
	*any = entry->decided_any;
	return entry->decided_masked;
}

} // namespace privacy::pg
