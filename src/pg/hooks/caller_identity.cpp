// caller_identity.cpp: fmgr_hook keeping a stack of the identities of
// SECURITY DEFINER frames (see the header).
//
// fmgr_security_definer calls the hook after it has switched to the
// function's owner, so GetUserId() at FHET_START is the identity the frame
// runs with; FHET_END and FHET_ABORT (from its PG_CATCH, before the error
// propagates) pop the frame, so the stack unwinds exactly with the frames,
// also on errors caught by an outer exception block. The end of a top-level
// transaction empties it as a safety net.
//
// C-style shell: nothing here throws; the stack lives in TopMemoryContext.
#include "pg/hooks/caller_identity.hpp"
#include "pg/catalog/extension_schema.hpp"

extern "C" {
#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

struct Frame {
	Oid userid;
	bool own; // a function of the extension's schema: not a caller
};

fmgr_hook_type prev_fmgr = NULL;
bool installed = false;
Frame *frames = NULL;
int depth = 0;
int capacity = 0;

// OwnFunction reports whether fn_oid belongs to the extension's schema
// (whose OID is cached: the hook runs for every SECURITY DEFINER call, also
// per row).
bool
OwnFunction(Oid fn_oid) {
	Oid nsp = get_func_namespace(fn_oid);
	return OidIsValid(nsp) && nsp == PrivacySchema();
}

void
Push(Oid userid, bool own) {
	if (depth == capacity) {
		int grown = capacity == 0 ? 16 : capacity * 2;
		frames = frames == NULL
		                 ? (Frame *)MemoryContextAlloc(TopMemoryContext, grown * sizeof(Frame))
		                 : (Frame *)repalloc(frames, grown * sizeof(Frame));
		capacity = grown;
	}
	frames[depth].userid = userid;
	frames[depth].own = own;
	depth++;
}

void
PrivacyFmgrHook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *priv) {
	// START, and END or ABORT, come in pairs per call (ABORT from the
	// PG_CATCH of fmgr_security_definer). The private datum is left to the
	// hooks chained after this one. At START the chained hook runs first:
	// if it raises, no END or ABORT follows and nothing was pushed.
	if (event == FHET_START) {
		if (prev_fmgr != NULL)
			prev_fmgr(event, flinfo, priv);
		Push(GetUserId(), OwnFunction(flinfo->fn_oid));
		return;
	}
	if (depth > 0)
		depth--;
	if (prev_fmgr != NULL)
		prev_fmgr(event, flinfo, priv);
}

// ResetAtEnd empties the stack when a top-level transaction ends: no
// SECURITY DEFINER frame (nor one with SET clauses) can span a commit, and
// an abort has unwound them all.
void
ResetAtEnd(XactEvent event, void *arg) {
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
	    event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
	    event == XACT_EVENT_PREPARE)
		depth = 0;
}

} // namespace

Oid
CallerUserId() {
	if (!installed)
		return GetOuterUserId();
	// the identity the code that entered the extension ran with: the frame
	// right below the innermost run of the extension's own frames (its
	// functions, and executor runs they start as themselves) - a SECURITY
	// DEFINER function, or an executor run: a foreign-key cascade's query
	// runs as the owner of the referencing table without a SECURITY DEFINER
	// frame
	for (int i = depth - 1; i >= 0; i--) {
		if (!frames[i].own)
			continue;
		while (i >= 0 && frames[i].own)
			i--;
		return i >= 0 ? frames[i].userid : GetOuterUserId();
	}
	// no function of the extension is active (a C entry point that is not
	// SECURITY DEFINER): the current user is the caller
	return GetUserId();
}

void
PushExecutorIdentity() {
	if (!installed)
		return;
	// a statement the extension's own function runs as itself belongs to
	// the extension's frames
	Oid userid = GetUserId();
	Push(userid, depth > 0 && frames[depth - 1].own && frames[depth - 1].userid == userid);
}

void
PopExecutorIdentity(int saved_depth) {
	if (installed && saved_depth >= 0 && saved_depth <= depth)
		depth = saved_depth;
}

int
CallerIdentityDepth() {
	return depth;
}

void
InstallCallerIdentityHook() {
	// fmgr_hook runs for SECURITY DEFINER functions, functions with SET
	// clauses and those needs_fmgr_hook selects: every frame whose identity
	// differs from its caller's
	prev_fmgr = fmgr_hook;
	fmgr_hook = PrivacyFmgrHook;
	RegisterXactCallback(ResetAtEnd, NULL);
	installed = true;
}

} // namespace privacy::pg
