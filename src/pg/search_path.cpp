// search_path.cpp: the fixed search_path (search_path.hpp).
#include "pg/search_path.hpp"

#include "pg/postgres.hpp"

extern "C" {
#include "miscadmin.h"
#include "parser/parse_expr.h"
#include "parser/parser.h"
#include "pgtime.h"
#include "tsearch/ts_cache.h"
#include "utils/array.h"
#include "utils/bytea.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/pg_locale.h"
#include "utils/xml.h"
}

namespace privacy::pg {

int
RunWithFixedSearchPath() {
	int nest_level = NewGUCNestLevel();
	(void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
	                        GUC_ACTION_SAVE, true, 0, false);
	return nest_level;
}

namespace {

// IsCLocale reports whether a locale name formats as C does.
bool
IsCLocale(const char *name) {
	return name != NULL &&
	       (strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0 || strncmp(name, "C.", 2) == 0);
}

} // namespace

int
RunWithFixedSettings(bool text_search) {
	struct Fixed {
		const char *name;
		const char *value;
		bool already; // the session's value is (equivalent to) the fixed one
	};
	// read from the variables themselves, not by name: this runs per row
	// for a condition that needs it (HoldKeepsRow)
	long int gmtoff;
	const Fixed fixed[] = {
	        {"TimeZone", "UTC",
	         session_timezone != NULL && pg_get_timezone_offset(session_timezone, &gmtoff) &&
	                 gmtoff == 0},
	        {"DateStyle", "ISO, MDY", DateStyle == USE_ISO_DATES && DateOrder == DATEORDER_MDY},
	        {"IntervalStyle", "postgres", IntervalStyle == INTSTYLE_POSTGRES},
	        {"extra_float_digits", "1", extra_float_digits == 1},
	        {"bytea_output", "hex", bytea_output == BYTEA_OUTPUT_HEX},
	        {"default_text_search_config", "pg_catalog.simple",
	         !text_search || (TSCurrentConfig != NULL &&
	                          strcmp(TSCurrentConfig, "pg_catalog.simple") == 0)},
	        {"lc_time", "C", IsCLocale(locale_time)},
	        {"lc_numeric", "C", IsCLocale(locale_numeric)},
	        {"lc_monetary", "C", IsCLocale(locale_monetary)},
	        {"standard_conforming_strings", "on", standard_conforming_strings},
	        {"array_nulls", "on", Array_nulls},
	        {"transform_null_equals", "off", !Transform_null_equals},
	        {"xmloption", "content", xmloption == XMLOPTION_CONTENT},
	        {"timezone_abbreviations", "Default", false},
	};
	int nest_level = RunWithFixedSearchPath();
	for (const Fixed &f : fixed) {
		if (f.already)
			continue;
		if (strcmp(f.name, "timezone_abbreviations") == 0) {
			// no variable of its own to read (loading the file is costly)
			const char *current = GetConfigOption(f.name, true, false);
			if (current != NULL && strcmp(current, f.value) == 0)
				continue;
		}
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
