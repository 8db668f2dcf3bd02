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
#include "pg/hooks/process_utility.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/guc.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "tcop/utility.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/lsyscache.h"
}

namespace privacy::pg {

namespace {

ProcessUtility_hook_type prev_process_utility = NULL;

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
			                errhint("Remove its masking policy with privacy.unmask_column(), rename the column, "
			                        "then declare the policy again.")));
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
				                errhint("Remove its masking policy with privacy.unmask_column(), change the type, "
				                        "then declare the policy again.")));
		}
	}
}

// MaskedCopy returns COPY (SELECT ... FROM ONLY rel) TO for a COPY rel TO
// that the current user would see masked, or NULL.
CopyStmt *
MaskedCopy(CopyStmt *copy) {
	if (copy->is_from || copy->relation == NULL || copy->query != NULL)
		return NULL;
	Oid relid = RangeVarGetRelid(copy->relation, NoLock, true);
	if (!OidIsValid(relid) || !AnyColumnMaskedForUser(relid))
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
				return alter->relation ? RangeVarGetRelid(alter->relation, NoLock, true) : InvalidOid;
		}
	}
	return InvalidOid;
}

// GovernNewMember turns on row security for a new member of a governed
// family, as the bootstrap superuser.
void
GovernNewMember(Oid relid) {
	if (!OidIsValid(relid) || LookupGovernedRel(relid) == NULL || RowSecurityEnabledByPrivacy(relid))
		return;
	Oid save_userid;
	int save_sec_context;
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	Oid types[1] = {REGCLASSOID};
	Datum values[1] = {ObjectIdGetDatum(relid)};
	int rc = SPI_execute_with_args("SELECT privacy._govern_family($1)", 1, types, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not enable row security on a new member of a governed table: %s",
		     SPI_result_code_string(rc));
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

// PrivacyProcessUtility is the hook body (C-style).
void
PrivacyProcessUtility(PlannedStmt *pstmt, const char *query_string, bool read_only_tree,
                      ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *query_env,
                      DestReceiver *dest, QueryCompletion *qc) {
	Node *stmt = pstmt->utilityStmt;
	if (!IsBinaryUpgrade && AnyColumnPolicy()) {
		if (IsA(stmt, CopyStmt)) {
			CopyStmt *masked = MaskedCopy((CopyStmt *)stmt);
			if (masked != NULL) {
				pstmt = (PlannedStmt *)copyObject(pstmt);
				pstmt->utilityStmt = (Node *)masked;
				read_only_tree = false;
			}
		} else {
			RejectMaskedColumnChange(stmt);
		}
	}
	if (prev_process_utility != NULL)
		prev_process_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
	else
		standard_ProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);

	if (!IsBinaryUpgrade && (IsA(stmt, CreateStmt) || IsA(stmt, AlterTableStmt)) && AnyColumnPolicy()) {
		Oid member = NewFamilyMember(stmt);
		if (OidIsValid(member)) {
			CommandCounterIncrement();
			GovernNewMember(member);
		}
	}
}

} // namespace

void
InstallProcessUtilityHook() {
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = PrivacyProcessUtility;
}

} // namespace privacy::pg
