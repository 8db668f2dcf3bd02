// citus.cpp: Citus shells and shards (citus.hpp), from pg_dist_partition and
// pg_dist_shard by direct catalog scans (no SPI: the planner and row-security
// hooks call these).
#include "pg/catalog/citus.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace privacy::pg {

namespace {

// CitusCatalog returns the OID of a Citus catalog table in pg_catalog, or
// InvalidOid when Citus is not installed in this database.
Oid
CitusCatalog(const char *name) {
	return get_relname_relid(name, PG_CATALOG_NAMESPACE);
}

// ScanFirst returns the first attribute (an OID) of the first row of table
// whose attribute attnum equals value (compared with proc), or InvalidOid;
// with second, also that row's second attribute (a "char"), or '\0'.
Oid
ScanFirst(Oid table, const char *index_name, AttrNumber attnum, RegProcedure proc, Datum value,
          char *second = NULL) {
	Oid index = get_relname_relid(index_name, PG_CATALOG_NAMESPACE);
	Relation rel = table_open(table, AccessShareLock);
	ScanKeyData key;
	ScanKeyInit(&key, attnum, BTEqualStrategyNumber, proc, value);
	SysScanDesc scan = systable_beginscan(rel, index, OidIsValid(index), NULL, 1, &key);
	HeapTuple tup = systable_getnext(scan);
	Oid result = InvalidOid;
	if (tup != NULL) {
		bool isnull;
		Datum first = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull);
		if (!isnull)
			result = DatumGetObjectId(first);
		if (second != NULL) {
			Datum value2 = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull);
			*second = isnull ? '\0' : DatumGetChar(value2);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

} // namespace

Oid
CitusTableOf(Oid relid) {
	Oid shards = CitusCatalog("pg_dist_shard");
	if (!OidIsValid(shards))
		return InvalidOid;
	char *name = get_rel_name(relid);
	if (name == NULL)
		return InvalidOid;
	// <table>_<shardid>
	const char *underscore = strrchr(name, '_');
	if (underscore == NULL || underscore[1] == '\0')
		return InvalidOid;
	for (const char *p = underscore + 1; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return InvalidOid;
	errno = 0;
	char *end = NULL;
	long long shardid = strtoll(underscore + 1, &end, 10);
	if (errno != 0 || end == NULL || *end != '\0' || shardid <= 0)
		return InvalidOid;
	Oid shell = ScanFirst(shards, "pg_dist_shard_shardid_index", 2, F_INT8EQ,
	                      Int64GetDatum((int64)shardid));
	if (!OidIsValid(shell) || shell == relid)
		return InvalidOid;
	// the shard lives in its table's schema
	if (get_rel_namespace(shell) != get_rel_namespace(relid))
		return InvalidOid;
	return shell;
}

bool
IsCitusTable(Oid relid) {
	Oid tables = CitusCatalog("pg_dist_partition");
	if (!OidIsValid(tables))
		return false;
	return OidIsValid(ScanFirst(tables, "pg_dist_partition_logical_relid_index", 1, F_OIDEQ,
	                            ObjectIdGetDatum(relid)));
}

bool
IsDistributedTable(Oid relid) {
	Oid tables = CitusCatalog("pg_dist_partition");
	if (!OidIsValid(tables))
		return false;
	char method = '\0';
	Oid found = ScanFirst(tables, "pg_dist_partition_logical_relid_index", 1, F_OIDEQ,
	                      ObjectIdGetDatum(relid), &method);
	// partmethod: h(ash), r(ange), a(ppend); n(one) for reference and local
	return OidIsValid(found) && method != 'n' && method != '\0';
}

bool
CitusInstalled() {
	return OidIsValid(CitusCatalog("pg_dist_partition"));
}

} // namespace privacy::pg
