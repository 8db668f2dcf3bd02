// executor_end.cpp: ExecutorRun and ExecutorEnd hooks of the disclosure
// audit. After a statement's executor has ended (previous hook or
// standard_ExecutorEnd, called exactly once), the detokenize counts it
// accumulated are handed to the audit queue as one record per format. A
// top-level run (no other executor run active: a statement, or a FETCH from
// a cursor) hands its counts over as soon as it returns, so a cursor fetched
// partially and kept open is audited at once, not when it is closed; it also
// hands over counts left from before it (PL/pgSQL simple expressions) before
// it starts.
//
// It also records the identity each executor run starts with, for the
// policy API's caller check (caller_identity.hpp).
//
// C-style shell: no C++ objects, nothing that can throw; handing counts to
// the queue needs no transaction and never raises.
#include "pg/hooks/executor_end.hpp"

#include "pg/hooks/caller_identity.hpp"
#include "pg/keys/audit.hpp"

extern "C" {
#include "executor/executor.h"
}

namespace privacy::pg {

namespace {

ExecutorEnd_hook_type prev_executor_end = NULL;
ExecutorRun_hook_type prev_executor_run = NULL;
int run_depth = 0;

void
PrivacyExecutorEnd(QueryDesc *query_desc) {
	prev_executor_end(query_desc);
	if (AuditPending())
		FlushAudit();
}

void
PrivacyExecutorRun(QueryDesc *query_desc, ScanDirection direction, uint64 count,
                   bool execute_once) {
	// counts left from outside any executor (PL/pgSQL simple expressions of
	// a DO block, whose values may already have been shown with RAISE) go
	// before a top-level run that may take long
	if (run_depth == 0 && AuditPending())
		FlushAudit();
	run_depth++;
	// the identity this run's code runs with (caller_identity.hpp)
	int identity_depth = CallerIdentityDepth();
	PushExecutorIdentity();
	PG_TRY();
	{ prev_executor_run(query_desc, direction, count, execute_once); }
	PG_FINALLY();
	{
		run_depth--;
		PopExecutorIdentity(identity_depth);
	}
	PG_END_TRY();
	if (run_depth == 0 && AuditPending())
		FlushAudit();
}

} // namespace

void
InstallExecutorEndHook() {
	prev_executor_end = ExecutorEnd_hook ? ExecutorEnd_hook : standard_ExecutorEnd;
	ExecutorEnd_hook = PrivacyExecutorEnd;
	prev_executor_run = ExecutorRun_hook ? ExecutorRun_hook : standard_ExecutorRun;
	ExecutorRun_hook = PrivacyExecutorRun;
}

} // namespace privacy::pg
