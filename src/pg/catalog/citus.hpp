// citus.hpp: what pg_privacy needs to know about Citus metadata
// (doc/scale-out.md), read from Citus's catalogs when they exist, without
// linking to Citus. Without Citus every answer is "no".
//
// A Citus table (distributed, reference or Citus-managed local) is a shell
// relation listed in pg_dist_partition; its rows live in shard relations
// named <table>_<shardid> in the same schema, listed in pg_dist_shard, on
// the workers (and on the coordinator for reference and local tables).
// Policies are declared on the shell and enforced on the shards, where the
// rows are read: a shard inherits its shell's policies like a partition
// inherits its parent's, resolved by column name.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// CitusTableOf returns the Citus table (shell) whose shard relid is, or
// InvalidOid when relid is not a shard.
Oid CitusTableOf(Oid relid);

// IsCitusTable reports whether relid is a Citus table (a shell whose rows
// live in shards).
bool IsCitusTable(Oid relid);

// IsDistributedTable reports whether relid is a distributed Citus table
// (hash, range or append distribution; not a reference or local table).
bool IsDistributedTable(Oid relid);

// CitusInstalled reports whether Citus's metadata exists in this database.
bool CitusInstalled();

} // namespace privacy::pg
