// process_utility.hpp: pg_privacy's ProcessUtility_hook.
#pragma once
namespace privacy::pg {
void InstallProcessUtilityHook();
}
