// lineage.hpp: what the utility hook records for issue 18.
//
//  * Default deny: after an ALTER TABLE that added columns to a table, the
//    new columns are recorded (privacy._note_new_columns decides whether
//    the table is governed).
//  * Lineage: a CREATE TABLE AS, SELECT INTO or CREATE MATERIALIZED VIEW is
//    traced from its analyzed query before it runs; once the relation
//    exists, the protected sources of its columns are recorded and the
//    columns classified (privacy._record_lineage).
// Both run the catalog helper as the bootstrap superuser (the creating role
// may own the table but not pg_privacy's catalog), like the hook's other
// catalog work.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "nodes/nodes.h"
#include "nodes/pg_list.h"
}

namespace privacy::pg {

// ColumnsBefore lists the tables an ALTER TABLE ... ADD COLUMN (or ALTER
// TYPE ... ADD ATTRIBUTE, for the typed tables of the type) adds columns
// to, each with its number of attributes before the statement runs (an
// opaque list for NoteNewColumns; NIL: none).
List *ColumnsBefore(Node *stmt);

// NoteNewColumns records the columns added to those tables since.
void NoteNewColumns(List *before);

// TraceCreateAs traces the sources of each output column of a CREATE TABLE
// AS / SELECT INTO / CREATE MATERIALIZED VIEW (NULL when not one, or when
// the relation exists already).
void *TraceCreateAs(Node *stmt);

// RecordCreateAs records the traced lineage of the relation just created.
void RecordCreateAs(Node *stmt, void *trace);

} // namespace privacy::pg
