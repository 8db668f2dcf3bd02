// row_security.hpp: pg_privacy's row_security_policy_hook_permissive.
#pragma once
namespace privacy::pg {
void InstallRowSecurityHook();
}
