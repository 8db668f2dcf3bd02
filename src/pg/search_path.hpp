// search_path.hpp: running a piece of work under the fixed search_path
// pg_catalog, pg_temp, in its own GUC nest level.
#pragma once

namespace privacy::pg {

// RunWithFixedSearchPath sets search_path = pg_catalog, pg_temp for the
// current GUC nest level; returns the level to pass to RestoreSearchPath.
int RunWithFixedSearchPath();
void RestoreSearchPath(int nest_level);

// RunWithFixedSettings sets, for a new GUC nest level, search_path =
// pg_catalog, pg_temp and every setting that changes what a built-in
// computes or how a constant is parsed (TimeZone UTC, DateStyle ISO, MDY,
// IntervalStyle postgres, extra_float_digits 1, bytea_output hex,
// default_text_search_config pg_catalog.simple, lc_time/lc_numeric/
// lc_monetary C, timezone_abbreviations Default, standard_conforming_strings
// on, array_nulls on, transform_null_equals off, xmloption content): the
// settings legal-hold conditions are parsed and evaluated under, whoever
// evaluates them (red-team 8 F1). A setting already at its fixed value is
// left alone (cheap per row). Restore with RestoreSearchPath. Without
// text_search, default_text_search_config is left as it is (for an
// expression known not to read it: setting it costs a catalog lookup).
int RunWithFixedSettings(bool text_search = true);

} // namespace privacy::pg
