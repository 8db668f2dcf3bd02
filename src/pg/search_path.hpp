// search_path.hpp: running a piece of work under the fixed search_path
// pg_catalog, pg_temp, in its own GUC nest level.
#pragma once

namespace privacy::pg {

// RunWithFixedSearchPath sets search_path = pg_catalog, pg_temp for the
// current GUC nest level; returns the level to pass to RestoreSearchPath.
int RunWithFixedSearchPath();
void RestoreSearchPath(int nest_level);

} // namespace privacy::pg
