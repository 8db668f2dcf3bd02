// executor_end.cpp: ExecutorEnd hook. After the statement's executor has
// ended (previous hook or standard_ExecutorEnd, called exactly once), the
// detokenize counts the statement accumulated are written to
// privacy.audit_log as one row per format.
//
// C-style shell: no C++ objects, nothing that can throw.
#include "pg/hooks/executor_end.hpp"

#include "pg/keys/audit.hpp"

extern "C" {
#include "access/parallel.h"
#include "access/xact.h"
#include "executor/executor.h"
}

namespace privacy::pg {

namespace {

ExecutorEnd_hook_type prev_executor_end = NULL;

void
PrivacyExecutorEnd(QueryDesc *query_desc) {
	prev_executor_end(query_desc);
	if (AuditPending() && !IsParallelWorker() && !IsInParallelMode() && IsTransactionState())
		FlushAudit();
}

} // namespace

void
InstallExecutorEndHook() {
	prev_executor_end = ExecutorEnd_hook ? ExecutorEnd_hook : standard_ExecutorEnd;
	ExecutorEnd_hook = PrivacyExecutorEnd;
}

} // namespace privacy::pg
