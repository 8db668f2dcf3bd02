// needs_fmgr.hpp: blocks inlining of SQL set-returning functions.
#pragma once
namespace privacy::pg {
void InstallNeedsFmgrHook();
}
