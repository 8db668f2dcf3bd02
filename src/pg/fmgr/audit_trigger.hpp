// audit_trigger.hpp: writing one policy-change row to privacy.audit_log.
#pragma once

namespace privacy::pg {

// WritePolicyAudit appends a policy-change row (action, object, old and new
// definition; either may be NULL) to privacy.audit_log in the current
// transaction, as the session's role. Never pass a key or a protected value.
void WritePolicyAudit(const char *action, const char *object, const char *old_text,
                      const char *new_text);

} // namespace privacy::pg
