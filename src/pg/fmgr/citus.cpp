// citus.cpp: SQL-callable answers about Citus for the scale-out functions
// (src/sql/parts/80_scale_out.sql, doc/scale-out.md).
//
//  privacy._citus_present()  whether Citus's metadata exists in this
//      database: the WHEN clause of the catalog triggers that propagate
//      policy changes to the workers. A syscache lookup, so that a bulk
//      consent grant without Citus pays one cheap call per row.
#include "pg/catalog/citus.hpp"
#include "pg/boundary/boundary.hpp"
#include "pg/module.hpp"

namespace privacy::pg {

namespace {

// CitusPresentImpl implements privacy._citus_present().
Datum
CitusPresentImpl(FunctionCallInfo fcinfo) {
	PG_RETURN_BOOL(CitusInstalled());
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(_citus_present, privacy::pg::CitusPresentImpl)
