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

int
RunWithFixedSettings() {
	struct Fixed {
		const char *name;
		const char *value;
	};
	// GetConfigOption shows these values exactly so when they are set
	static const Fixed kFixed[] = {
	        {"TimeZone", "UTC"},
	        {"DateStyle", "ISO, MDY"},
	        {"IntervalStyle", "postgres"},
	        {"extra_float_digits", "1"},
	        {"bytea_output", "hex"},
	        {"default_text_search_config", "pg_catalog.simple"},
	        {"lc_time", "C"},
	        {"lc_numeric", "C"},
	        {"lc_monetary", "C"},
	        {"timezone_abbreviations", "Default"},
	        {"standard_conforming_strings", "on"},
	        {"array_nulls", "on"},
	        {"transform_null_equals", "off"},
	        {"xmloption", "content"},
	};
	int nest_level = RunWithFixedSearchPath();
	for (const Fixed &f : kFixed) {
		const char *current = GetConfigOption(f.name, true, false);
		if (current != NULL && strcmp(current, f.value) == 0)
			continue;
		(void)set_config_option(f.name, f.value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
		                        0, false);
	}
	return nest_level;
}

void
RestoreSearchPath(int nest_level) {
	AtEOXact_GUC(true, nest_level);
}

} // namespace privacy::pg
