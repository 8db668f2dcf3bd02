// object_access.hpp: catalog cleanup when governed objects are dropped.
#pragma once
namespace privacy::pg {
void InstallObjectAccessHook();
}
