// process_utility.cpp: utility statements that would go around masking.
//
//  * COPY table TO reads the heap directly (no planner, no masking). For a
//    role that sees any column of the table masked it becomes
//    COPY (SELECT cols FROM ONLY table) TO, which is planned and masked like
//    any query (notes/pg-internals §4); so pg_dump run by a masked role
//    writes masked data.
//  * Renaming a masked column, or changing its type, would silently break
//    the stored mask: refused until the policy is removed.
//  * A partition or inheritance child created under (or attached to) a
//    governed table inherits its masks at once (the planner resolves them
//    by ancestry); afterwards it also gets row security, like its siblings,
//    through privacy._govern_family() run as the bootstrap superuser (the
//    creating role may own the table but not pg_privacy's catalog).
//  * Table families (issue 15): a table that policies govern cannot get a
//    new parent (privacy._check_new_parent); DROP TABLE, DETACH PARTITION,
//    NO INHERIT and TRUNCATE are refused (55006) while they would take rows
//    under an active legal hold, or a table a hold was placed on, out of
//    the family; the triggers that enforce holds cannot be disabled or
//    renamed; after a table joins or leaves a family its hold triggers are
//    brought up to date (privacy._sync_hold_triggers). Checks run only for
//    a role that may run the statement (others get PostgreSQL's error and
//    learn nothing about held rows).
#include "pg/hooks/process_utility.hpp"
#include "pg/hooks/masking_output.hpp"

#include "pg/catalog/categories.hpp"
#include "pg/catalog/citus.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/hooks/lineage.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/legal_holds.hpp"
#include "pg/catalog/row_policies.hpp"
#include "pg/guc.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "tcop/utility.h"
#include "access/xact.h"
#include "catalog/heap.h"
#include "commands/extension.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "catalog/pg_depend.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "executor/spi.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "catalog/pg_attribute.h"
#include "utils/snapmgr.h"
}

namespace privacy::pg {

namespace {

ProcessUtility_hook_type prev_process_utility = NULL;

// superuser_catalog_copy: see InSuperuserCatalogCopy (process_utility.hpp).
bool superuser_catalog_copy = false;

// IsSuperuserCatalogCopy reports whether stmt is a superuser's COPY FROM into
// a table of schema privacy.
bool
IsSuperuserCatalogCopy(Node *stmt) {
	if (!IsA(stmt, CopyStmt))
		return false;
	CopyStmt *copy = (CopyStmt *)stmt;
	if (!copy->is_from || copy->relation == NULL || !superuser())
		return false;
	Oid nsp = PrivacySchema();
	Oid relid = RangeVarGetRelid(copy->relation, NoLock, true);
	return OidIsValid(nsp) && OidIsValid(relid) && get_rel_namespace(relid) == nsp;
}

// AnyColumnMaskedForUser reports whether the current user sees a column of
// relid masked.
bool
AnyColumnMaskedForUser(Oid relid) {
	const GovernedRel *rel = LookupGovernedRel(relid);
	if (rel == NULL || !guc_masking)
		return false;
	Oid userid = GetUserId();
	for (int i = 0; i < rel->ncolumns; i++)
		if (ColumnMaskedFor(rel, i, userid))
			return true;
	return false;
}

// ColumnIsMasked reports whether relid has a policy (own or inherited) on
// the named column.
bool
ColumnIsMasked(Oid relid, const char *column) {
	const GovernedRel *rel = LookupGovernedRel(relid);
	if (rel == NULL || column == NULL)
		return false;
	for (int i = 0; i < rel->ncolumns; i++)
		if (strcmp(NameStr(rel->columns[i].column), column) == 0)
			return true;
	return false;
}

// UsingReadsMasked reports whether the raw USING expression of an ALTER
// COLUMN ... TYPE may read a column the current user sees masked: a masked
// column by name, or the row as a whole (a name that is no column, `*`).
// The table rewrite evaluates it on raw values, outside the planner hook.
bool
UsingReadsMasked(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (IsA(node, ColumnRef)) {
		const GovernedRel *rel = (const GovernedRel *)context;
		Node *last = (Node *)llast(((ColumnRef *)node)->fields);
		if (!IsA(last, String))
			return true;
		AttrNumber attnum = get_attnum(rel->relid, strVal(last));
		if (attnum <= 0)
			return true;
		for (int i = 0; i < rel->ncolumns; i++)
			if (rel->columns[i].attnum == attnum && ColumnMaskedFor(rel, i, GetUserId()))
				return true;
		return false;
	}
	return raw_expression_tree_walker(node, (bool (*)())UsingReadsMasked, context);
}

// GenerationReadsMasked reports whether dropping the generation expression
// of column `column` of governed relid would leave values derived from a
// column the current user sees masked: the column is itself protected for
// the user (lineage) or its expression reads such a column. PostgreSQL
// computed the stored values from raw values; once a plain column, nothing
// derives its protection any more (red team 5 F6).
bool
GenerationReadsMasked(Oid relid, const char *column) {
	const GovernedRel *rel = LookupGovernedRel(relid);
	AttrNumber attnum = column != NULL ? get_attnum(relid, column) : InvalidAttrNumber;
	if (rel == NULL || attnum <= 0)
		return false;
	Oid userid = GetUserId();
	// a policy of its own (mask, category, default deny) stays with the
	// plain column; lineage does not
	bool lineage = false;
	for (int i = 0; i < rel->ncolumns; i++)
		if (rel->columns[i].attnum == attnum && rel->columns[i].kind != 'l')
			return false;
		else if (rel->columns[i].attnum == attnum && ColumnMaskedFor(rel, i, userid))
			lineage = true;
	if (lineage)
		return true;
	Relation r = relation_open(relid, AccessShareLock);
	TupleDesc desc = RelationGetDescr(r);
	Node *expr = NULL;
	if (desc->constr != NULL && TupleDescAttr(desc, attnum - 1)->attgenerated != '\0')
		for (int d = 0; d < desc->constr->num_defval; d++)
			if (desc->constr->defval[d].adnum == attnum)
				expr = (Node *)stringToNode(desc->constr->defval[d].adbin);
	relation_close(r, AccessShareLock);
	if (expr == NULL)
		return false;
	Bitmapset *attrs = NULL;
	pull_varattnos(expr, 1, &attrs);
	int member = -1;
	while ((member = bms_next_member(attrs, member)) >= 0) {
		AttrNumber read = member + FirstLowInvalidHeapAttributeNumber;
		for (int i = 0; i < rel->ncolumns; i++)
			if ((read == 0 || rel->columns[i].attnum == read) && ColumnMaskedFor(rel, i, userid))
				return true;
	}
	return false;
}

// DropLeavesMaskedCopies reports whether ALTER TABLE [ONLY] relid DROP
// COLUMN column would leave the column, with its rows, in an inheritance
// child once the parent's mask is gone with the parent's column: under ONLY,
// or where the child defines the column itself (attislocal). Found while
// attacking the F7 fix.
bool
DropLeavesMaskedCopies(Oid relid, const char *column, bool only) {
	List *members = find_all_inheritors(relid, NoLock, NULL);
	ListCell *lc;
	foreach (lc, members) {
		Oid member = lfirst_oid(lc);
		if (member == relid)
			continue;
		HeapTuple tuple = SearchSysCacheAttName(member, column);
		if (!HeapTupleIsValid(tuple))
			continue;
		bool local = ((Form_pg_attribute)GETSTRUCT(tuple))->attislocal;
		ReleaseSysCache(tuple);
		if (only || local)
			return true;
	}
	return false;
}

// RejectMaskedColumnChange refuses DDL that would invalidate a stored mask.
void
RejectMaskedColumnChange(Node *stmt) {
	if (IsA(stmt, RenameStmt)) {
		RenameStmt *rename = (RenameStmt *)stmt;
		if (rename->renameType != OBJECT_COLUMN || rename->relation == NULL)
			return;
		Oid relid = RangeVarGetRelid(rename->relation, NoLock, true);
		if (OidIsValid(relid) && ColumnIsMasked(relid, rename->subname))
			ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			                errmsg("cannot rename masked column \"%s\"", rename->subname),
			                errhint("Remove its masking policy with privacy.unmask_column(), "
			                        "rename the column, then declare the policy again.")));
		return;
	}
	if (IsA(stmt, AlterTableStmt)) {
		AlterTableStmt *alter = (AlterTableStmt *)stmt;
		if (alter->relation == NULL)
			return;
		Oid relid = RangeVarGetRelid(alter->relation, NoLock, true);
		if (!OidIsValid(relid) || LookupGovernedRel(relid) == NULL)
			return;
		ListCell *lc;
		foreach (lc, alter->cmds) {
			AlterTableCmd *cmd = (AlterTableCmd *)lfirst(lc);
			if (cmd->subtype == AT_AlterColumnType && ColumnIsMasked(relid, cmd->name))
				ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				                errmsg("cannot change the type of masked column \"%s\"", cmd->name),
				                errhint("Remove its masking policy with privacy.unmask_column(), "
				                        "change the type, then declare the policy again.")));
			// a USING expression reading masked values would copy them raw
			// into the retyped column (red team F2 made this reachable on
			// tables with masks)
			if (cmd->subtype == AT_AlterColumnType && cmd->def != NULL &&
			    IsA(cmd->def, ColumnDef) && ((ColumnDef *)cmd->def)->raw_default != NULL &&
			    UsingReadsMasked(((ColumnDef *)cmd->def)->raw_default,
			                     (void *)LookupGovernedRel(relid)))
				ereport(ERROR,
				        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				         errmsg("cannot change the type of column \"%s\" using masked values",
				                cmd->name),
				         errdetail("The USING expression reads a column masked for the current "
				                   "role, or the whole row."),
				         errhint("A role exempt from the masks can run it.")));
			if (cmd->subtype == AT_DropColumn && !superuser() && ColumnIsMasked(relid, cmd->name) &&
			    DropLeavesMaskedCopies(relid, cmd->name, !alter->relation->inh))
				ereport(ERROR,
				        (errcode(ERRCODE_OBJECT_IN_USE),
				         errmsg("cannot drop masked column \"%s\": an inheritance child keeps "
				                "it",
				                cmd->name),
				         errdetail("The child's column, with its rows, would no longer be "
				                   "masked."),
				         errhint("Remove the mask with privacy.unmask_column() first, or have a "
				                 "superuser run it.")));
			// DROP EXPRESSION keeps the values computed from raw sources in
			// a plain column that lineage no longer protects
			if (cmd->subtype == AT_DropExpression && GenerationReadsMasked(relid, cmd->name))
				ereport(ERROR,
				        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				         errmsg("cannot drop the generation expression of column \"%s\"",
				                cmd->name),
				         errdetail("Its stored values are derived from a column masked for the "
				                   "current role; as a plain column they would no longer be "
				                   "masked."),
				         errhint("A role exempt from the masks can run it; or declare a mask "
				                 "on the column itself with privacy.mask_column() first.")));
		}
	}
}

// MaskedCopy returns COPY (SELECT ... FROM ONLY rel) TO for a COPY rel TO
// that the current user would see masked, or of a Citus table with row
// policies (Citus copies its shards with COPY commands of its own; a query
// is planned, and carries the declared purpose to the shards,
// citus_purpose.hpp), or NULL.
CopyStmt *
MaskedCopy(CopyStmt *copy) {
	if (copy->is_from || copy->relation == NULL || copy->query != NULL)
		return NULL;
	Oid relid = RangeVarGetRelid(copy->relation, NoLock, true);
	if (!OidIsValid(relid))
		return NULL;
	if (!(AnyColumnPolicy() && AnyColumnMaskedForUser(relid)) &&
	    !(CitusInstalled() && IsCitusTable(relid) && RowPolicyMentionsRelation(relid)))
		return NULL;

	SelectStmt *select = makeNode(SelectStmt);
	if (copy->attlist == NIL) {
		ColumnRef *star = makeNode(ColumnRef);
		star->fields = list_make1(makeNode(A_Star));
		star->location = -1;
		ResTarget *target = makeNode(ResTarget);
		target->val = (Node *)star;
		target->location = -1;
		select->targetList = list_make1(target);
	} else {
		ListCell *lc;
		foreach (lc, copy->attlist) {
			ColumnRef *ref = makeNode(ColumnRef);
			ref->fields = list_make1(makeString(pstrdup(strVal(lfirst(lc)))));
			ref->location = -1;
			ResTarget *target = makeNode(ResTarget);
			target->val = (Node *)ref;
			target->location = -1;
			select->targetList = lappend(select->targetList, target);
		}
	}
	RangeVar *from = (RangeVar *)copyObject(copy->relation);
	from->inh = false;
	// qualify the name, so the query reads exactly the relation COPY named
	from->schemaname = get_namespace_name(get_rel_namespace(relid));
	select->fromClause = list_make1(from);

	CopyStmt *masked = (CopyStmt *)copyObject(copy);
	masked->relation = NULL;
	masked->attlist = NIL;
	masked->query = (Node *)select;
	return masked;
}

// NewFamilyMember returns the relation that stmt adds to a table family
// (CREATE TABLE ... PARTITION OF / INHERITS, ALTER TABLE ... ATTACH
// PARTITION / INHERIT), or InvalidOid. Called after the statement ran.
Oid
NewFamilyMember(Node *stmt) {
	if (IsA(stmt, CreateStmt)) {
		CreateStmt *create = (CreateStmt *)stmt;
		if (create->inhRelations == NIL && create->partbound == NULL)
			return InvalidOid;
		return RangeVarGetRelid(create->relation, NoLock, true);
	}
	if (IsA(stmt, AlterTableStmt)) {
		AlterTableStmt *alter = (AlterTableStmt *)stmt;
		ListCell *lc;
		foreach (lc, alter->cmds) {
			AlterTableCmd *cmd = (AlterTableCmd *)lfirst(lc);
			if (cmd->subtype == AT_AttachPartition)
				return RangeVarGetRelid(((PartitionCmd *)cmd->def)->name, NoLock, true);
			if (cmd->subtype == AT_AddInherit)
				return alter->relation ? RangeVarGetRelid(alter->relation, NoLock, true)
				                       : InvalidOid;
		}
	}
	return InvalidOid;
}

// RunAsBootstrap runs `sql` (a SELECT of one of pg_privacy's catalog
// helpers, with regclass arguments) as the bootstrap superuser: the role
// running the DDL may own its tables but not pg_privacy's catalog.
void
RunAsBootstrap(const char *sql, int nargs, Oid arg1, Oid arg2) {
	// the helpers are pg_privacy's only in its own schema: never run
	// functions of a look-alike schema privacy as the bootstrap superuser
	if (!OidIsValid(PrivacySchema()))
		return;
	Oid save_userid;
	int save_sec_context;
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	// after DETACH ... CONCURRENTLY committed inside a purge worker there is
	// neither an active snapshot nor a portal to make one
	bool pushed = !ActiveSnapshotSet();
	if (pushed)
		PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	Oid types[2] = {REGCLASSOID, REGCLASSOID};
	Datum values[2] = {ObjectIdGetDatum(arg1), ObjectIdGetDatum(arg2)};
	int rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not run a pg_privacy catalog helper: %s", SPI_result_code_string(rc));
	SPI_finish();
	if (pushed)
		PopActiveSnapshot();
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

// GovernNewMember turns on row security for a new member of a governed
// family, as the bootstrap superuser.
void
GovernNewMember(Oid relid) {
	if (!OidIsValid(relid) || LookupGovernedRel(relid) == NULL ||
	    RowSecurityEnabledByPrivacy(relid))
		return;
	RunAsBootstrap("SELECT privacy._govern_family($1)", 1, relid, InvalidOid);
}

// RejectHoldTriggerChange refuses to disable, re-enable in replica or
// always mode, or rename a trigger that enforces a legal hold (DROP TRIGGER
// is refused by the object-access hook).
void
RejectHoldTriggerChange(Oid relid, const char *name, bool all) {
	List *members = find_all_inheritors(relid, NoLock, NULL);
	ListCell *lc;
	foreach (lc, members) {
		if (!HasHoldTrigger(lfirst_oid(lc), all ? NULL : name))
			continue;
		if (all)
			ereport(ERROR,
			        (errcode(ERRCODE_OBJECT_IN_USE),
			         errmsg("cannot disable the triggers of table \"%s\": some enforce a legal "
			                "hold",
			                get_rel_name(lfirst_oid(lc))),
			         errhint("Disable the other triggers by name, or release the hold first.")));
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_IN_USE),
		         errmsg("cannot change trigger \"%s\" on table \"%s\": it enforces a legal hold",
		                name, get_rel_name(lfirst_oid(lc))),
		         errhint("Release the hold with privacy.release_hold(); its triggers go with "
		                 "it.")));
	}
}

// ClearFamily records that relid (and with subtree its partitions and
// children) passed the hold checks of the running statement.
void
ClearFamily(Oid relid, bool subtree) {
	List *members = subtree ? find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);
	ListCell *lc;
	foreach (lc, members)
		ClearDrop(lfirst_oid(lc));
}

// CheckTruncate refuses TRUNCATE of tables holding held rows, including the
// tables TRUNCATE ... CASCADE reaches through foreign keys.
void
CheckTruncate(TruncateStmt *truncate) {
	List *relids = NIL;
	ListCell *lc;
	foreach (lc, truncate->relations) {
		RangeVar *rv = (RangeVar *)lfirst(lc);
		Oid relid = RangeVarGetRelid(rv, NoLock, true);
		if (!OidIsValid(relid) ||
		    pg_class_aclcheck(relid, GetUserId(), ACL_TRUNCATE) != ACLCHECK_OK)
			continue;
		CheckFamilyHolds(relid, rv->inh, false, HoldAction::kTruncate, AccessExclusiveLock);
		relids = list_append_unique_oid(relids, relid);
	}
	if (truncate->behavior != DROP_CASCADE)
		return;
	for (;;) {
		List *more = heap_truncate_find_FKs(relids);
		bool added = false;
		foreach (lc, more) {
			Oid relid = lfirst_oid(lc);
			if (list_member_oid(relids, relid))
				continue;
			relids = lappend_oid(relids, relid);
			added = true;
			if (pg_class_aclcheck(relid, GetUserId(), ACL_TRUNCATE) == ACLCHECK_OK)
				CheckFamilyHolds(relid, true, false, HoldAction::kTruncate, AccessExclusiveLock);
		}
		if (!added)
			break;
	}
}

// CheckLeavingPolicies refuses to take member (and its partitions and
// children) out of the family above it when masks or row policies declared
// on the tables it leaves (`lost`: the old parent and its ancestors) apply
// to it: afterwards its rows would be readable, unmasked and unfiltered,
// through its own grants (red team 5 F7). Masks and row policies are
// declared on family roots only, so the way out is to remove them from the
// root first; a protection of the member's own (a category of its column,
// a row policy naming it) counts as kept. Superusers (the purge worker
// among them) may: the table is then ungoverned until its policies are
// declared.
void
CheckLeavingPolicies(Oid member, List *lost, const char *verb) {
	if (superuser() || lost == NIL)
		return;
	ListCell *lc;
	foreach (lc, lost)
		if (RowPolicyMentionsRelation(lfirst_oid(lc)) && !RowPolicyMentionsRelation(member))
			ereport(ERROR,
			        (errcode(ERRCODE_OBJECT_IN_USE),
			         errmsg("cannot %s table \"%s\": row policies of table \"%s\" apply to it",
			                verb, get_rel_name(member), get_rel_name(lfirst_oid(lc))),
			         errdetail("Out of the family its rows would no longer be filtered."),
			         errhint("Remove the row policies from \"%s\" first (then declare them "
			                 "again on both tables), or have a superuser run it.",
			                 get_rel_name(lfirst_oid(lc)))));
	List *subtree = find_all_inheritors(member, NoLock, NULL);
	foreach (lc, subtree) {
		const GovernedRel *rel = LookupGovernedRel(lfirst_oid(lc));
		if (rel == NULL)
			continue;
		for (int i = 0; i < rel->ncolumns; i++) {
			const MaskedColumn *col = &rel->columns[i];
			if (!list_member_oid(lost, col->source_relid))
				continue;
			bool kept = false;
			for (int j = 0; j < rel->ncolumns && !kept; j++)
				kept = rel->columns[j].attnum == col->attnum &&
				       OidIsValid(rel->columns[j].source_relid) &&
				       !list_member_oid(lost, rel->columns[j].source_relid);
			if (kept)
				continue;
			ereport(ERROR, (errcode(ERRCODE_OBJECT_IN_USE),
			                errmsg("cannot %s table \"%s\": column \"%s\" of \"%s\" is masked by a "
			                       "policy of table \"%s\"",
			                       verb, get_rel_name(member), NameStr(col->column),
			                       get_rel_name(rel->relid), get_rel_name(col->source_relid)),
			                errdetail("Out of the family the column would no longer be masked."),
			                errhint("Remove the mask from \"%s\" with privacy.unmask_column() "
			                        "first (then declare it again on both tables), or have a "
			                        "superuser run it.",
			                        get_rel_name(col->source_relid))));
		}
	}
}

// LostAncestors lists parent and its ancestors: what a table leaves with it.
List *
LostAncestors(Oid parent) {
	if (!OidIsValid(parent))
		return NIL;
	return lcons_oid(parent, InheritanceAncestors(parent));
}

// DomainColumns appends to *columns (pairs relid, attnum) the columns of
// tables and materialized views whose type is domain or a domain over it,
// as ALTER DOMAIN's validation finds them (pg_depend).
void
DomainColumns(Oid domain, List **columns) {
	check_stack_depth();
	Relation depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[2];
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(TypeRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(domain));
	SysScanDesc scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 2, key);
	HeapTuple tuple;
	while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
		Form_pg_depend dep = (Form_pg_depend)GETSTRUCT(tuple);
		if (dep->classid == TypeRelationId) {
			if (get_typtype(dep->objid) == TYPTYPE_DOMAIN)
				DomainColumns(dep->objid, columns);
			continue;
		}
		if (dep->classid != RelationRelationId || dep->objsubid <= 0)
			continue;
		*columns = lappend_oid(*columns, dep->objid);
		*columns = lappend_int(*columns, dep->objsubid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
}

// RejectDomainCheck refuses ALTER DOMAIN ... ADD CONSTRAINT ... CHECK and
// VALIDATE CONSTRAINT while a column the current user sees masked (or
// otherwise protected) has the domain: PostgreSQL runs the check, the
// domain owner's code, on the raw values of every such column, without
// privilege checks on the tables (red team 5 F8). Superusers and roles
// exempt for those columns may.
void
RejectDomainCheck(AlterDomainStmt *alter) {
	bool check = false;
	if (alter->subtype == 'C' && alter->def != NULL && IsA(alter->def, Constraint))
		check = ((Constraint *)alter->def)->contype == CONSTR_CHECK;
	else if (alter->subtype == 'V')
		check = true;
	if (!check || superuser())
		return;
	TypeName *name = makeTypeNameFromNameList(alter->typeName);
	Oid domain = LookupTypeNameOid(NULL, name, true);
	if (!OidIsValid(domain) || get_typtype(domain) != TYPTYPE_DOMAIN)
		return;
	List *columns = NIL;
	DomainColumns(domain, &columns);
	Oid userid = GetUserId();
	for (int k = 0; k + 1 < list_length(columns); k += 2) {
		Oid relid = list_nth_oid(columns, k);
		AttrNumber attnum = (AttrNumber)list_nth_int(columns, k + 1);
		const GovernedRel *rel = LookupGovernedRel(relid);
		if (rel == NULL)
			continue;
		for (int i = 0; i < rel->ncolumns; i++)
			if (rel->columns[i].attnum == attnum && ColumnMaskedFor(rel, i, userid))
				ereport(ERROR,
				        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				         errmsg("cannot %s a check constraint of domain \"%s\": masked column "
				                "\"%s\" of table \"%s\" has the domain",
				                alter->subtype == 'V' ? "validate" : "add", format_type_be(domain),
				                NameStr(rel->columns[i].column), get_rel_name(relid)),
				         errdetail("PostgreSQL checks the constraint against the raw values of "
				                   "every column of the domain."),
				         errhint("A role exempt from the masks of those columns can run it.")));
	}
}

// FamilyPrecheck runs the table-family checks before stmt runs.
void
FamilyPrecheck(Node *stmt) {
	ListCell *lc;
	if (IsA(stmt, DropStmt)) {
		DropStmt *drop = (DropStmt *)stmt;
		if (drop->removeType != OBJECT_TABLE)
			return;
		foreach (lc, drop->objects) {
			Oid relid =
			        RangeVarGetRelid(makeRangeVarFromNameList((List *)lfirst(lc)), NoLock, true);
			if (!OidIsValid(relid) || !pg_class_ownercheck(relid, GetUserId()))
				continue;
			bool subtree = drop->behavior == DROP_CASCADE ||
			               get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE;
			CheckFamilyHolds(relid, subtree, true, HoldAction::kDropTable, AccessExclusiveLock);
			ClearFamily(relid, subtree);
		}
		return;
	}
	if (IsA(stmt, TruncateStmt)) {
		CheckTruncate((TruncateStmt *)stmt);
		return;
	}
	if (IsA(stmt, RenameStmt)) {
		RenameStmt *rename = (RenameStmt *)stmt;
		if (rename->renameType == OBJECT_COLUMN && rename->relation != NULL) {
			// a hold's canonical condition names the column: renamed, the
			// hold would no longer compile (purges of the family would fail
			// and new members would get no hold triggers)
			Oid relid = RangeVarGetRelid(rename->relation, NoLock, true);
			if (!OidIsValid(relid))
				return;
			List *members = find_all_inheritors(relid, NoLock, NULL);
			foreach (lc, members)
				if (HoldTriggersUseColumn(lfirst_oid(lc), rename->subname))
					ereport(ERROR,
					        (errcode(ERRCODE_OBJECT_IN_USE),
					         errmsg("cannot rename column \"%s\" of table \"%s\": a legal hold "
					                "uses it",
					                rename->subname, get_rel_name(relid)),
					         errhint("Release the hold with privacy.release_hold() first.")));
			return;
		}
		if (rename->renameType != OBJECT_TRIGGER || rename->relation == NULL)
			return;
		Oid relid = RangeVarGetRelid(rename->relation, NoLock, true);
		if (OidIsValid(relid) && HasHoldTrigger(relid, rename->subname))
			RejectHoldTriggerChange(relid, rename->subname, false);
		return;
	}
	if (IsA(stmt, AlterDomainStmt)) {
		RejectDomainCheck((AlterDomainStmt *)stmt);
		return;
	}
	if (!IsA(stmt, AlterTableStmt))
		return;
	AlterTableStmt *alter = (AlterTableStmt *)stmt;
	if (alter->relation == NULL)
		return;
	Oid relid = RangeVarGetRelid(alter->relation, NoLock, true);
	if (!OidIsValid(relid) || !pg_class_ownercheck(relid, GetUserId()))
		return;
	foreach (lc, alter->cmds) {
		AlterTableCmd *cmd = (AlterTableCmd *)lfirst(lc);
		switch (cmd->subtype) {
		case AT_DetachPartition:
		case AT_DetachPartitionFinalize: {
			Oid part = RangeVarGetRelid(((PartitionCmd *)cmd->def)->name, NoLock, true);
			if (OidIsValid(part)) {
				CheckFamilyHolds(part, true, true, HoldAction::kDetachPartition, NoLock);
				ClearFamily(part, true);
				CheckLeavingPolicies(part, LostAncestors(relid), "detach");
			}
			break;
		}
		case AT_DropInherit: {
			CheckFamilyHolds(relid, true, true, HoldAction::kNoInherit, NoLock);
			Oid parent = RangeVarGetRelid((RangeVar *)cmd->def, NoLock, true);
			CheckLeavingPolicies(relid, LostAncestors(parent), "remove the parent of");
			break;
		}
		case AT_DropColumn: {
			// a hold's condition names the column (its triggers no longer
			// depend on it, issue 19): dropped with CASCADE, its stored
			// form would go and the hold would keep every row (without
			// CASCADE, the stored form's dependency refuses it, 2BP01)
			if (cmd->behavior != DROP_CASCADE)
				break;
			ListCell *mc;
			foreach (mc, find_all_inheritors(relid, NoLock, NULL))
				if (cmd->name != NULL && HoldTriggersUseColumn(lfirst_oid(mc), cmd->name))
					ereport(ERROR,
					        (errcode(ERRCODE_OBJECT_IN_USE),
					         errmsg("cannot drop column \"%s\" of table \"%s\": a legal hold "
					                "uses it",
					                cmd->name, get_rel_name(relid)),
					         errhint("Release the hold with privacy.release_hold() first.")));
			break;
		}
		case AT_SetUnLogged:
			// an unlogged table loses its rows in a crash and never reaches
			// a standby: held rows would not survive either
			CheckFamilyHolds(relid, true, true, HoldAction::kSetUnlogged, NoLock);
			break;
		case AT_AttachPartition: {
			Oid child = RangeVarGetRelid(((PartitionCmd *)cmd->def)->name, NoLock, true);
			if (OidIsValid(child))
				RunAsBootstrap("SELECT privacy._check_new_parent($1, $2)", 2, child, relid);
			break;
		}
		case AT_AddInherit: {
			Oid parent = RangeVarGetRelid((RangeVar *)cmd->def, NoLock, true);
			if (OidIsValid(parent))
				RunAsBootstrap("SELECT privacy._check_new_parent($1, $2)", 2, relid, parent);
			break;
		}
		case AT_DisableTrig:
		case AT_EnableReplicaTrig:
		case AT_EnableAlwaysTrig:
			RejectHoldTriggerChange(relid, cmd->name, false);
			break;
		case AT_DisableTrigAll:
		case AT_DisableTrigUser:
			RejectHoldTriggerChange(relid, NULL, true);
			break;
		default:
			break;
		}
	}
}

// FamilyChanged returns the table that stmt made join or leave a family
// (CREATE TABLE ... PARTITION OF / INHERITS, ATTACH / DETACH PARTITION,
// INHERIT / NO INHERIT), or InvalidOid. Called after the statement ran.
Oid
FamilyChanged(Node *stmt) {
	Oid member = NewFamilyMember(stmt);
	if (OidIsValid(member) || !IsA(stmt, AlterTableStmt))
		return member;
	AlterTableStmt *alter = (AlterTableStmt *)stmt;
	ListCell *lc;
	foreach (lc, alter->cmds) {
		AlterTableCmd *cmd = (AlterTableCmd *)lfirst(lc);
		if (cmd->subtype == AT_DetachPartition || cmd->subtype == AT_DetachPartitionFinalize)
			return RangeVarGetRelid(((PartitionCmd *)cmd->def)->name, NoLock, true);
		if (cmd->subtype == AT_DropInherit)
			return alter->relation ? RangeVarGetRelid(alter->relation, NoLock, true) : InvalidOid;
	}
	return InvalidOid;
}

// RecheckLeavingRows looks again, after a plain DETACH PARTITION or NO
// INHERIT ran (its locks still held, in its transaction), for rows under the
// holds of the family the table left. DETACH ... CONCURRENTLY and FINALIZE
// have committed by now: the purge re-checks the partitions it detaches.
void
RecheckLeavingRows(AlterTableStmt *alter) {
	if (alter->relation == NULL)
		return;
	ListCell *lc;
	foreach (lc, alter->cmds) {
		AlterTableCmd *cmd = (AlterTableCmd *)lfirst(lc);
		Oid child = InvalidOid;
		Oid parent = InvalidOid;
		if (cmd->subtype == AT_DetachPartition && !((PartitionCmd *)cmd->def)->concurrent) {
			child = RangeVarGetRelid(((PartitionCmd *)cmd->def)->name, NoLock, true);
			parent = RangeVarGetRelid(alter->relation, NoLock, true);
		} else if (cmd->subtype == AT_DropInherit) {
			child = RangeVarGetRelid(alter->relation, NoLock, true);
			parent = RangeVarGetRelid((RangeVar *)cmd->def, NoLock, true);
		}
		if (OidIsValid(child) && OidIsValid(parent) && pg_class_ownercheck(child, GetUserId()))
			CheckLeavingRows(child, parent,
			                 cmd->subtype == AT_DropInherit ? HoldAction::kNoInherit
			                                                : HoldAction::kDetachPartition);
	}
}

// CallNextProcessUtility calls the next hook (or the standard function)
// and forgets the tables cleared for this statement, also on error.
void
CallNextProcessUtility(PlannedStmt *pstmt, const char *query_string, bool read_only_tree,
                       ProcessUtilityContext context, ParamListInfo params,
                       QueryEnvironment *query_env, DestReceiver *dest, QueryCompletion *qc,
                       int mark) {
	PG_TRY();
	{
		if (prev_process_utility != NULL)
			prev_process_utility(pstmt, query_string, read_only_tree, context, params, query_env,
			                     dest, qc);
		else
			standard_ProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env,
			                        dest, qc);
	}
	PG_CATCH();
	{
		ResetCleared(mark);
		PG_RE_THROW();
	}
	PG_END_TRY();
	ResetCleared(mark);
}

// RunCatalogCopy runs a superuser's COPY FROM into a catalog table of the
// extension (pg_restore) with the audit trigger told to skip its rows; in
// its own frame, so that the hook's locals are not live across PG_TRY.
void
RunCatalogCopy(PlannedStmt *pstmt, const char *query_string, bool read_only_tree,
               ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *query_env,
               DestReceiver *dest, QueryCompletion *qc, int mark) {
	bool saved = superuser_catalog_copy;
	superuser_catalog_copy = true;
	PG_TRY();
	{
		CallNextProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env,
		                       dest, qc, mark);
	}
	PG_FINALLY();
	{ superuser_catalog_copy = saved; }
	PG_END_TRY();
}

// RunExplain runs an EXPLAIN with output masking off (masking_output.hpp:
// the plan it prints shows the masks), in its own frame like RunCatalogCopy.
void
RunExplain(PlannedStmt *pstmt, const char *query_string, bool read_only_tree,
           ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *query_env,
           DestReceiver *dest, QueryCompletion *qc, int mark) {
	BeginExplain();
	PG_TRY();
	{
		CallNextProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env,
		                       dest, qc, mark);
	}
	PG_FINALLY();
	{ EndExplain(); }
	PG_END_TRY();
}

// PrivacyProcessUtility is the hook body (C-style).
void
PrivacyProcessUtility(PlannedStmt *pstmt, const char *query_string, bool read_only_tree,
                      ProcessUtilityContext context, ParamListInfo params,
                      QueryEnvironment *query_env, DestReceiver *dest, QueryCompletion *qc) {
	Node *stmt = pstmt->utilityStmt;
	bool families = !IsBinaryUpgrade && !creating_extension && ColumnPolicyCatalogPresent();
	int mark = ClearedMark();
	if (families)
		FamilyPrecheck(stmt);
	if (!IsBinaryUpgrade && IsA(stmt, CopyStmt)) {
		CopyStmt *masked = MaskedCopy((CopyStmt *)stmt);
		if (masked != NULL) {
			pstmt = (PlannedStmt *)copyObject(pstmt);
			pstmt->utilityStmt = (Node *)masked;
			read_only_tree = false;
		}
	} else if (!IsBinaryUpgrade && AnyColumnPolicy()) {
		RejectMaskedColumnChange(stmt);
	}
	// issue 18 (lineage.hpp): columns added to governed tables, lineage of
	// CREATE TABLE AS / SELECT INTO / CREATE MATERIALIZED VIEW
	bool categories = families && CategoryCatalogPresent();
	List *columns_before = categories ? ColumnsBefore(stmt) : NIL;
	void *trace = categories ? TraceCreateAs(stmt) : NULL;
	if (IsSuperuserCatalogCopy(stmt))
		RunCatalogCopy(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc,
		               mark);
	else if (IsA(stmt, ExplainStmt))
		RunExplain(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc, mark);
	else
		CallNextProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env,
		                       dest, qc, mark);
	NoteNewColumns(columns_before);
	if (trace != NULL)
		RecordCreateAs(stmt, trace);

	if (families && IsA(stmt, AlterTableStmt))
		RecheckLeavingRows((AlterTableStmt *)stmt);
	if (families && (IsA(stmt, CreateStmt) || IsA(stmt, AlterTableStmt))) {
		Oid member = FamilyChanged(stmt);
		if (OidIsValid(member) && AnyActiveHold()) {
			CommandCounterIncrement();
			RunAsBootstrap("SELECT privacy._sync_hold_triggers($1)", 1, member, InvalidOid);
		}
	}

	if (!IsBinaryUpgrade && (IsA(stmt, CreateStmt) || IsA(stmt, AlterTableStmt)) &&
	    AnyColumnPolicy()) {
		Oid member = NewFamilyMember(stmt);
		if (OidIsValid(member)) {
			CommandCounterIncrement();
			GovernNewMember(member);
		}
	}
}

} // namespace

bool
InSuperuserCatalogCopy() {
	return superuser_catalog_copy;
}

void
InstallProcessUtilityHook() {
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = PrivacyProcessUtility;
}

} // namespace privacy::pg
