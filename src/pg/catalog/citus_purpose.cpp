// citus_purpose.cpp: the declared purpose carried in the statements Citus
// sends to the shards (citus_purpose.hpp). Called from the planner hook, on
// every node: the node planning a statement on a Citus table adds the
// markers, the node planning a shard query consumes them.
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/purposes.hpp"
#include "pg/catalog/citus_purpose.hpp"

#include "pg/catalog/citus.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/masking_secret.hpp"
#include "pg/catalog/row_policies.hpp"
#include "pg/guc.hpp"

#include "privacy/core/mask.hpp"

#include <sodium.h>

#include <cstring>

extern "C" {
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/tuptable.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

constexpr char kProofTag[] = "pg_privacy citus purpose v1";
constexpr size_t kProofBytes = 16;

// PrivacyFunction returns the OID of privacy.<name>(args), or InvalidOid.
Oid
PrivacyFunction(const char *name, int nargs, const Oid *args) {
	// schema privacy only when it is pg_privacy's (extension_schema.hpp)
	if (!OidIsValid(PrivacySchema()))
		return InvalidOid;
	return LookupFuncName(list_make2(makeString(pstrdup("privacy")), makeString(pstrdup(name))),
	                      nargs, args, true);
}

struct Functions {
	Oid marker;  // privacy._citus_purpose(text, text, bigint)
	Oid consent; // privacy._consent_allows(regclass, text, text)
	Oid carried; // privacy._consent_allows_carried(regclass, text, text, text)
};

bool
LookupFunctions(Functions *f) {
	Oid three[3] = {TEXTOID, TEXTOID, INT8OID};
	Oid four[4] = {REGCLASSOID, TEXTOID, TEXTOID, TEXTOID};
	f->marker = PrivacyFunction("_citus_purpose", 3, three);
	f->consent = PrivacyFunction("_consent_allows", 3, four);
	f->carried = PrivacyFunction("_consent_allows_carried", 4, four);
	return OidIsValid(f->marker) && OidIsValid(f->consent) && OidIsValid(f->carried);
}

// ---- consuming markers -----------------------------------------------------

struct Carried {
	const Functions *f;
	bool found;
	bool malformed;
	bool disagree;
	char *purpose;
	char *proof;
	int64 generation;
};

bool
FindMarkers(Node *node, Carried *c) {
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) && ((FuncExpr *)node)->funcid == c->f->marker) {
		FuncExpr *call = (FuncExpr *)node;
		bool three = list_length(call->args) == 3;
		Const *purpose = three ? (Const *)linitial(call->args) : NULL;
		Const *proof = three ? (Const *)lsecond(call->args) : NULL;
		Const *generation = three ? (Const *)lthird(call->args) : NULL;
		if (purpose == NULL || proof == NULL || generation == NULL || !IsA(purpose, Const) ||
		    !IsA(proof, Const) || !IsA(generation, Const) || purpose->constisnull ||
		    proof->constisnull || generation->constisnull) {
			c->malformed = true;
		} else {
			char *p = TextDatumGetCString(purpose->constvalue);
			char *q = TextDatumGetCString(proof->constvalue);
			int64 g = DatumGetInt64(generation->constvalue);
			if (!c->found) {
				c->purpose = p;
				c->proof = q;
				c->generation = g;
			} else if (strcmp(p, c->purpose) != 0 || strcmp(q, c->proof) != 0 ||
			           g != c->generation) {
				c->disagree = true;
			}
			c->found = true;
		}
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *)node, (bool (*)())FindMarkers, c, 0);
	return expression_tree_walker(node, (bool (*)())FindMarkers, c);
}

struct Binding {
	const Functions *f;
	const char *purpose;
};

// BindConsent turns every consent check into the carried form, bound to the
// carried purpose and marked as placed here (keyed_masks.hpp: funcformat
// COERCE_SQL_SYNTAX, which no parsed call carries).
bool
BindConsent(Node *node, Binding *b) {
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr)) {
		FuncExpr *call = (FuncExpr *)node;
		if (call->funcid == b->f->consent && list_length(call->args) == 3) {
			call->funcid = b->f->carried;
			call->args =
			        lappend(call->args, makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
			                                      CStringGetTextDatum(b->purpose), false, false));
			call->funcformat = COERCE_SQL_SYNTAX;
		}
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *)node, (bool (*)())BindConsent, b, 0);
	return expression_tree_walker(node, (bool (*)())BindConsent, b);
}

[[noreturn]] void
RefuseCarried(const char *detail) {
	ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
	                errmsg("invalid purpose carried to this Citus node"), errdetail("%s", detail),
	                errhint("Declare the purpose with SET privacy.purpose on the node that plans "
	                        "the statement; check privacy.citus_policy_status().")));
}

// ---- adding markers --------------------------------------------------------

// HasRowSecurity reports whether relid has row security enabled (pg_privacy
// turns it on for every table it governs).
bool
HasRowSecurity(Oid relid) {
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return false;
	bool on = ((Form_pg_class)GETSTRUCT(tup))->relrowsecurity;
	ReleaseSysCache(tup);
	return on;
}

// Governed reports whether pg_privacy governs Citus table relid (row
// policies, masks or exemptions, or the row security it turned on).
bool
Governed(Oid relid) {
	return RowPolicyMentionsRelation(relid) || CatalogMentionsRelation(relid) ||
	       HasRowSecurity(relid);
}

// ReadsGatedCitusTable reports whether this query level (not its subqueries)
// reads a Citus table that pg_privacy governs.
bool
ReadsGatedCitusTable(Query *query) {
	ListCell *lc;
	foreach (lc, query->rtable) {
		RangeTblEntry *rte = (RangeTblEntry *)lfirst(lc);
		if (rte->rtekind == RTE_RELATION && IsCitusTable(rte->relid) && Governed(rte->relid))
			return true;
	}
	return false;
}

// ShardUnderRowSecurity finds, anywhere in the statement, a shard of a
// Citus table (or a Citus table) with row security enabled.
bool
ShardUnderRowSecurity(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry)) {
		RangeTblEntry *rte = (RangeTblEntry *)node;
		return rte->rtekind == RTE_RELATION && HasRowSecurity(rte->relid) &&
		       (OidIsValid(CitusTableOf(rte->relid)) || IsCitusTable(rte->relid));
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *)node, (bool (*)())ShardUnderRowSecurity, context,
		                         QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, (bool (*)())ShardUnderRowSecurity, context);
}

// StateTable returns the OID of privacy._citus_sync_state, or InvalidOid.
Oid
StateTable() {
	return PrivacyTable("_citus_sync_state");
}

// LocalGeneration returns the generation of the policy state this node
// holds; *found is false when it never received (or pushed) one.
int64
LocalGeneration(bool *found) {
	*found = false;
	Oid table = StateTable();
	if (!OidIsValid(table))
		return 0;
	int64 generation = 0;
	bool pushed = !ActiveSnapshotSet();
	if (pushed)
		PushActiveSnapshot(GetTransactionSnapshot());
	Relation rel = table_open(table, AccessShareLock);
	TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	if (table_scan_getnextslot(scan, ForwardScanDirection, slot)) {
		bool isnull;
		Datum value = slot_getattr(slot, 2, &isnull);
		if (!isnull) {
			generation = DatumGetInt64(value);
			*found = true;
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	if (pushed)
		PopActiveSnapshot();
	return generation;
}

// IsCitusWorkerNode reports whether this node is a Citus worker (its group
// in pg_dist_local_group is not the coordinator's, 0).
bool
IsCitusWorkerNode() {
	Oid table = get_relname_relid("pg_dist_local_group", PG_CATALOG_NAMESPACE);
	if (!OidIsValid(table))
		return false;
	bool worker = false;
	bool pushed = !ActiveSnapshotSet();
	if (pushed)
		PushActiveSnapshot(GetTransactionSnapshot());
	Relation rel = table_open(table, AccessShareLock);
	TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	if (table_scan_getnextslot(scan, ForwardScanDirection, slot)) {
		bool isnull;
		Datum value = slot_getattr(slot, 1, &isnull);
		worker = !isnull && DatumGetInt32(value) != 0;
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	if (pushed)
		PopActiveSnapshot();
	return worker;
}

struct Adding {
	FuncExpr *marker;
	bool added;
};

bool
AddMarkers(Node *node, Adding *a) {
	if (node == NULL)
		return false;
	if (IsA(node, Query)) {
		Query *query = (Query *)node;
		if ((query->commandType == CMD_SELECT || query->commandType == CMD_UPDATE ||
		     query->commandType == CMD_DELETE) &&
		    query->jointree != NULL && ReadsGatedCitusTable(query)) {
			query->jointree->quals =
			        make_and_qual(query->jointree->quals, (Node *)copyObject(a->marker));
			a->added = true;
		}
		return query_tree_walker(query, (bool (*)())AddMarkers, a, 0);
	}
	return expression_tree_walker(node, (bool (*)())AddMarkers, a);
}

// NeedsMarkers reports whether some query level reads a Citus table with
// row policies.
bool
NeedsMarkers(Node *node, void *context = NULL) {
	if (node == NULL)
		return false;
	if (IsA(node, Query)) {
		if (ReadsGatedCitusTable((Query *)node))
			return true;
		return query_tree_walker((Query *)node, (bool (*)())NeedsMarkers, NULL, 0);
	}
	return expression_tree_walker(node, (bool (*)())NeedsMarkers, NULL);
}

const char *
CurrentDeclaredPurpose() {
	return guc_purpose != NULL ? guc_purpose : "";
}

} // namespace

bool
CitusPreloaded() {
	return shared_preload_libraries_string != NULL &&
	       strstr(shared_preload_libraries_string, "citus") != NULL;
}

void
CarriedPurposeProof(const char *purpose, const char *role_name, char *proof) {
	unsigned char digest[kProofBytes];
	crypto_generichash_state state;
	const std::uint8_t *key = MaskingSecret();
	crypto_generichash_init(&state, key, core::kMaskKeyBytes, sizeof(digest));
	// tag, role and purpose, each NUL-terminated (neither holds a NUL)
	crypto_generichash_update(&state, (const unsigned char *)kProofTag, sizeof(kProofTag));
	crypto_generichash_update(&state, (const unsigned char *)role_name, strlen(role_name) + 1);
	crypto_generichash_update(&state, (const unsigned char *)purpose, strlen(purpose) + 1);
	crypto_generichash_final(&state, digest, sizeof(digest));
	sodium_memzero(&state, sizeof(state));
	sodium_bin2hex(proof, 2 * kProofBytes + 1, digest, sizeof(digest));
}

bool
CarryCitusPurpose(Query *parse) {
	if (IsBinaryUpgrade || !CitusInstalled())
		return false;
	Functions f;
	if (!LookupFunctions(&f))
		return false;
	Oid userid = GetUserId();

	// a shard query (or a statement Citus plans again) carrying markers
	Carried carried = {&f, false, false, false, NULL, NULL, 0};
	(void)FindMarkers((Node *)parse, &carried);
	if (carried.found || carried.malformed) {
		if (carried.malformed || carried.disagree)
			RefuseCarried("The statement carries malformed or differing purpose markers.");
		// where the statement reads Citus tables (not shards), this node
		// plans it for the session: the markers must carry the session's
		// own purpose (Citus planning the statement again), never one
		// written into the statement
		if (NeedsMarkers((Node *)parse) && strcmp(carried.purpose, CurrentDeclaredPurpose()) != 0)
			RefuseCarried("The statement carries a purpose marker that differs from the purpose "
			              "this session declares.");
		if (carried.purpose[0] != '\0') {
			char expected[2 * kProofBytes + 1];
			CarriedPurposeProof(carried.purpose, GetUserNameFromId(userid, false), expected);
			if (strlen(carried.proof) != 2 * kProofBytes ||
			    sodium_memcmp(expected, carried.proof, 2 * kProofBytes) != 0)
				RefuseCarried("The purpose marker was not issued for this role by a node "
				              "sharing this node's masking secret.");
			if (!PurposeUsable(carried.purpose, userid))
				ereport(ERROR,
				        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				         errmsg("permission denied to declare purpose \"%s\"", carried.purpose),
				         errhint("The purpose must exist (privacy.create_purpose) and be allowed "
				                 "to the role (privacy.allow_purpose).")));
		}
		// the policy state this node enforces must be the one the
		// statement was planned under
		// (generation 0: the planning node never pushed a state, nor did
		// this one receive one: neither holds pg_privacy policies of Citus
		// tables, and nothing is stale)
		bool found = false;
		int64 generation = LocalGeneration(&found);
		if (found ? generation != carried.generation : carried.generation != 0)
			ereport(ERROR,
			        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			         errmsg("this Citus node does not hold the current pg_privacy policy state"),
			         errdetail("The statement was planned under policy generation " INT64_FORMAT
			                   "; this node holds %s.",
			                   carried.generation,
			                   found ? psprintf("generation " INT64_FORMAT, generation) : "none"),
			         errhint("Run SELECT privacy.citus_sync_policies() on the coordinator.")));
		Binding binding = {&f, carried.purpose};
		(void)BindConsent((Node *)parse, &binding);
		return false;
	}

	// a worker that never received the policy state (added after the
	// policies, before privacy.citus_sync_policies()) serves no shard under
	// row security to roles subject to it
	if (!superuser() && ShardUnderRowSecurity((Node *)parse, NULL) && IsCitusWorkerNode()) {
		bool found = false;
		(void)LocalGeneration(&found);
		if (!found)
			ereport(ERROR,
			        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			         errmsg("this Citus node has not received the pg_privacy policy state"),
			         errdetail("Its shards of tables under row security are refused until it "
			                   "has."),
			         errhint("Run SELECT privacy.citus_sync_policies() on the coordinator.")));
	}

	// a statement on Citus tables pg_privacy governs: carry this session's
	// purpose (empty included) and this node's policy generation to the
	// nodes that read their shards (superusers are exempt from every policy:
	// nothing to carry, and Citus's own work as superuser is never refused)
	if (superuser() || !NeedsMarkers((Node *)parse))
		return false;
	const char *purpose = CurrentDeclaredPurpose();
	char proof[2 * kProofBytes + 1] = "";
	if (purpose[0] != '\0')
		CarriedPurposeProof(purpose, GetUserNameFromId(userid, false), proof);
	bool found = false;
	int64 generation = LocalGeneration(&found);
	List *args = list_make3(makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
	                                  CStringGetTextDatum(purpose), false, false),
	                        makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
	                                  CStringGetTextDatum(proof), false, false),
	                        makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
	                                  Int64GetDatum(generation), false, FLOAT8PASSBYVAL));
	Adding adding = {NULL, false};
	adding.marker =
	        makeFuncExpr(f.marker, BOOLOID, args, InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	(void)AddMarkers((Node *)parse, &adding);
	return adding.added;
}

void
DependOnCitusState(PlannedStmt *plan) {
	Oid table = StateTable();
	if (OidIsValid(table))
		plan->relationOids = lappend_oid(plan->relationOids, table);
	// the proof names the role that planned it
	plan->dependsOnRole = true;
}

} // namespace privacy::pg
