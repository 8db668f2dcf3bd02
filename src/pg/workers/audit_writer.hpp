// audit_writer.hpp: the background workers that drain the disclosure audit
// queue (audit/queue.hpp) into privacy.audit_log.
#pragma once

namespace privacy::pg {

// RegisterAuditLauncher registers the static audit launcher; called from
// _PG_init when preloaded.
void RegisterAuditLauncher();

} // namespace privacy::pg
