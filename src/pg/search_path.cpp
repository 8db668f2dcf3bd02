// search_path.cpp: the fixed search_path (search_path.hpp).
#include "pg/search_path.hpp"

#include "pg/postgres.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace privacy::pg {

int
RunWithFixedSearchPath() {
	int nest_level = NewGUCNestLevel();
	(void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
	                        GUC_ACTION_SAVE, true, 0, false);
	return nest_level;
}

void
RestoreSearchPath(int nest_level) {
	AtEOXact_GUC(true, nest_level);
}

} // namespace privacy::pg
