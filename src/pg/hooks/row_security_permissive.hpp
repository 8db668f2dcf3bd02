// row_security_permissive.hpp: pg_privacy's row_security_policy_hook_permissive.
#pragma once

namespace privacy::pg {
void InstallPermissivePolicyHook();
} // namespace privacy::pg
