// citus_purpose.cpp: the declared purpose carried in the statements Citus
// sends to the shards (citus_purpose.hpp). Called from the planner hook, on
// every node: the node planning a statement on a Citus table adds the
// markers, the node planning a shard query consumes them.
#include "pg/catalog/citus_purpose.hpp"

#include "pg/catalog/citus.hpp"
#include "pg/catalog/masking_secret.hpp"
#include "pg/catalog/row_policies.hpp"
#include "pg/guc.hpp"

#include "privacy/core/mask.hpp"

#include <sodium.h>

#include <cstring>

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

namespace privacy::pg {

namespace {

constexpr char kProofTag[] = "pg_privacy citus purpose v1";
constexpr size_t kProofBytes = 16;

// PrivacyFunction returns the OID of privacy.<name>(args), or InvalidOid.
Oid
PrivacyFunction(const char *name, int nargs, const Oid *args) {
	return LookupFuncName(list_make2(makeString(pstrdup("privacy")), makeString(pstrdup(name))),
	                      nargs, args, true);
}

struct Functions {
	Oid marker;   // privacy._citus_purpose(text, text)
	Oid consent;  // privacy._consent_allows(regclass, text, text)
	Oid carried;  // privacy._consent_allows_carried(regclass, text, text, text)
};

bool
LookupFunctions(Functions *f) {
	Oid two[2] = {TEXTOID, TEXTOID};
	Oid four[4] = {REGCLASSOID, TEXTOID, TEXTOID, TEXTOID};
	f->marker = PrivacyFunction("_citus_purpose", 2, two);
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
};

bool
FindMarkers(Node *node, Carried *c) {
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) && ((FuncExpr *)node)->funcid == c->f->marker) {
		FuncExpr *call = (FuncExpr *)node;
		Const *purpose = list_length(call->args) == 2 ? (Const *)linitial(call->args) : NULL;
		Const *proof = list_length(call->args) == 2 ? (Const *)lsecond(call->args) : NULL;
		if (purpose == NULL || proof == NULL || !IsA(purpose, Const) || !IsA(proof, Const) ||
		    purpose->constisnull || proof->constisnull) {
			c->malformed = true;
		} else {
			char *p = TextDatumGetCString(purpose->constvalue);
			char *q = TextDatumGetCString(proof->constvalue);
			if (!c->found) {
				c->purpose = p;
				c->proof = q;
			} else if (strcmp(p, c->purpose) != 0 || strcmp(q, c->proof) != 0) {
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
			call->args = lappend(call->args, makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
			                                           CStringGetTextDatum(b->purpose), false,
			                                           false));
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

// ReadsGatedCitusTable reports whether this query level (not its subqueries)
// reads a Citus table with row policies.
bool
ReadsGatedCitusTable(Query *query) {
	ListCell *lc;
	foreach (lc, query->rtable) {
		RangeTblEntry *rte = (RangeTblEntry *)lfirst(lc);
		if (rte->rtekind == RTE_RELATION && IsCitusTable(rte->relid) &&
		    RowPolicyMentionsRelation(rte->relid))
			return true;
	}
	return false;
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

void
CarryCitusPurpose(Query *parse) {
	if (IsBinaryUpgrade || !CitusInstalled())
		return;
	Functions f;
	if (!LookupFunctions(&f))
		return;
	Oid userid = GetUserId();

	// a shard query (or a statement Citus plans again) carrying markers
	Carried carried = {&f, false, false, false, NULL, NULL};
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
		Binding binding = {&f, carried.purpose};
		(void)BindConsent((Node *)parse, &binding);
		return;
	}

	// a statement on Citus tables with row policies: carry this session's
	// purpose (empty included) to the nodes that read their shards
	if (!NeedsMarkers((Node *)parse))
		return;
	const char *purpose = CurrentDeclaredPurpose();
	char proof[2 * kProofBytes + 1] = "";
	if (purpose[0] != '\0')
		CarriedPurposeProof(purpose, GetUserNameFromId(userid, false), proof);
	List *args = list_make2(makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
	                            CStringGetTextDatum(purpose), false, false),
	                  makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1, CStringGetTextDatum(proof),
	                            false, false));
	Adding adding = {NULL, false};
	adding.marker = makeFuncExpr(f.marker, BOOLOID, args, InvalidOid, InvalidOid,
	                             COERCE_EXPLICIT_CALL);
	(void)AddMarkers((Node *)parse, &adding);
}

} // namespace privacy::pg
