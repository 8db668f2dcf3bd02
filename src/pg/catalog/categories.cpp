// categories.cpp: classification-driven protection resolved into the column
// policy cache (issue 18; categories.hpp).
//
// Order of precedence for one column of a queried relation (first wins):
//   1. its own or an inherited mask_column policy (column_policies.cpp);
//   2. the protection bound to its category (classification on the
//      relation or an ancestor): kind 'c';
//   3. default deny: a column recorded in privacy._new_column (relation or
//      ancestor) that is neither classified nor marked not personal, on a
//      family that did not opt out: kind 'd', NULL (text: privacy.redact);
//   4. a stored generated column whose expression reads a column masked by
//      1-3: kind 'l', NULL, or the category's protection when it derives
//      from exactly one category-protected column of the same type;
//   5. a CREATE TABLE AS / matview column with recorded protected sources:
//      kind 'l', NULL.
// Kind 'l' is masked for a role only while one of its sources is (so an
// exempt role sees what it could compute itself); kind 'c' honours
// category exemptions besides the ordinary ones.
//
// Invariants: no SPI (the planner calls in here); catalog rows are read
// with heap scans; expression text is only expanded here and analyzed by
// the cache's one analyzer (MaskExpression) with the fixed search_path.
#include <cctype>

#include "pg/catalog/categories.hpp"
#include "pg/catalog/extension_schema.hpp"

extern "C" {
#include "access/genam.h"
#include "access/sysattr.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parser.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace privacy::pg {

namespace {

struct Binding {
	char *category;
	char *mask;
};
struct CategoryExemption {
	Oid role;
	char *category;
};
struct ColumnRow {
	Oid relid;
	NameData column;
	char *category;   // classification only
	Oid source_relid; // lineage only
	NameData source_column;
};

bool cat_loaded = false;
Oid cat_tables[7];
int nbindings = 0;
Binding *bindings = NULL;
int ncatex = 0;
CategoryExemption *catex = NULL;
int nclassified = 0;
ColumnRow *classified = NULL;
int nnot_personal = 0;
ColumnRow *not_personal = NULL;
int nnew = 0;
ColumnRow *new_columns = NULL;
int ndeny_off = 0;
ColumnRow *deny_off = NULL;
int nderived = 0;
ColumnRow *derived = NULL;

// ReadTable reads every row of privacy.<name> (absent: none) into rows of
// `kind`: 'b' binding, 'x' category exemption, or a ColumnRow table whose
// columns are (relid, column[, third]) with third: 'c' category text,
// 'l' lineage (source relid, source column), 'r' relid only.
int
ReadTable(MemoryContext cxt, const char *name, char kind, void **out, Oid *relid_out) {
	*out = NULL;
	Oid relid = PrivacyTable(name);
	*relid_out = relid;
	if (!OidIsValid(relid))
		return 0;
	size_t size = kind == 'b'   ? sizeof(Binding)
	              : kind == 'x' ? sizeof(CategoryExemption)
	                            : sizeof(ColumnRow);
	int cap = 8;
	int n = 0;
	char *rows = (char *)MemoryContextAllocZero(cxt, size * cap);
	Relation rel = table_open(relid, AccessShareLock);
	TupleDesc desc = RelationGetDescr(rel);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while ((tup = systable_getnext(scan)) != NULL) {
		bool null1, null2, null3 = false, null4 = false;
		Datum d1 = heap_getattr(tup, 1, desc, &null1);
		Datum d2 = kind == 'r' ? (Datum)0 : heap_getattr(tup, 2, desc, &null2);
		if (kind == 'r')
			null2 = false;
		Datum d3 = (kind == 'c' || kind == 'l') ? heap_getattr(tup, 3, desc, &null3) : (Datum)0;
		Datum d4 = kind == 'l' ? heap_getattr(tup, 4, desc, &null4) : (Datum)0;
		if (null1 || null2 || null3 || null4)
			continue;
		if (n == cap) {
			cap *= 2;
			rows = (char *)repalloc(rows, size * cap);
		}
		MemoryContext old = MemoryContextSwitchTo(cxt);
		if (kind == 'b') {
			Binding *b = (Binding *)(rows + size * n);
			b->category = TextDatumGetCString(d1);
			b->mask = TextDatumGetCString(d2);
		} else if (kind == 'x') {
			CategoryExemption *x = (CategoryExemption *)(rows + size * n);
			x->role = DatumGetObjectId(d1);
			x->category = TextDatumGetCString(d2);
		} else {
			ColumnRow *r = (ColumnRow *)(rows + size * n);
			memset(r, 0, sizeof(*r));
			r->relid = DatumGetObjectId(d1);
			if (kind != 'r')
				namestrcpy(&r->column, NameStr(*DatumGetName(d2)));
			if (kind == 'c')
				r->category = TextDatumGetCString(d3);
			if (kind == 'l') {
				r->source_relid = DatumGetObjectId(d3);
				namestrcpy(&r->source_column, NameStr(*DatumGetName(d4)));
			}
		}
		MemoryContextSwitchTo(old);
		n++;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	*out = rows;
	return n;
}

const char *
BindingOf(const char *category) {
	for (int i = 0; i < nbindings; i++)
		if (strcmp(bindings[i].category, category) == 0)
			return bindings[i].mask;
	return NULL;
}

// FindRow returns the first row of rows whose relid is in `lineage` and
// whose column is `column` (column NULL: any column), or NULL.
const ColumnRow *
FindRow(const ColumnRow *rows, int n, List *lineage, const char *column) {
	for (int i = 0; i < n; i++) {
		if (!list_member_oid(lineage, rows[i].relid))
			continue;
		if (column == NULL || strcmp(NameStr(rows[i].column), column) == 0)
			return &rows[i];
	}
	return NULL;
}

bool
HasColumn(const GovernedRel *entry, AttrNumber attnum) {
	for (int j = 0; j < entry->ncolumns; j++)
		if (entry->columns[j].attnum == attnum)
			return true;
	return false;
}

// NewColumn appends a column of kind `kind` with mask text `mask`.
MaskedColumn *
NewColumn(GovernedRel *entry, int *cap, AttrNumber attnum, const char *column, Oid source,
          char kind, const char *mask) {
	MaskedColumn *col = AppendMaskedColumn(entry, cap);
	col->attnum = attnum;
	namestrcpy(&col->column, column);
	col->source_relid = source;
	col->kind = kind;
	col->mask_text = MemoryContextStrdup(ColumnPolicyCacheContext(), mask);
	col->mask_expr = NULL;
	get_atttypetypmodcoll(entry->relid, attnum, &col->atttype, &col->atttypmod, &col->attcollation);
	return col;
}

// DenyMask is the mask of a denied new column: redacted text, NULL else.
char *
DenyMask(Oid type, const char *column) {
	if (type == TEXTOID || type == VARCHAROID || type == BPCHAROID)
		return psprintf("privacy.redact(%s)", quote_identifier(column));
	return pstrdup("NULL");
}

// ReferenceCollector finds the ColumnRefs of a raw expression.
struct ReferenceCollector {
	List *locations; // of `value` references
	bool other;      // a reference to anything else
};

bool
CollectReferences(Node *node, void *context) {
	if (node == NULL)
		return false;
	ReferenceCollector *collector = (ReferenceCollector *)context;
	if (IsA(node, SubLink)) {
		collector->other = true; // refused again by the validator
		return false;
	}
	if (IsA(node, ColumnRef)) {
		ColumnRef *ref = (ColumnRef *)node;
		if (list_length(ref->fields) == 1 && IsA(linitial(ref->fields), String) &&
		    strcmp(strVal(linitial(ref->fields)), "value") == 0 && ref->location >= 0)
			collector->locations = lappend_int(collector->locations, ref->location);
		else
			collector->other = true;
		return false;
	}
	return raw_expression_tree_walker(node, (bool (*)())CollectReferences, context);
}

int
CompareInts(const ListCell *a, const ListCell *b) {
	return lfirst_int(a) - lfirst_int(b);
}

} // namespace

char *
ExpandCategoryMask(const char *mask, const char *column) {
	List *raw = raw_parser(mask, RAW_PARSE_PLPGSQL_EXPR);
	SelectStmt *select =
	        list_length(raw) == 1 ? (SelectStmt *)linitial_node(RawStmt, raw)->stmt : NULL;
	if (select == NULL || !IsA(select, SelectStmt) || list_length(select->targetList) != 1 ||
	    select->fromClause != NIL || select->whereClause != NULL || select->groupClause != NIL ||
	    select->havingClause != NULL || select->windowClause != NIL || select->sortClause != NIL ||
	    select->limitCount != NULL || select->limitOffset != NULL || select->lockingClause != NIL ||
	    select->distinctClause != NIL || select->withClause != NULL || select->intoClause != NULL ||
	    select->valuesLists != NIL || select->op != SETOP_NONE)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("a category protection must be a single expression"),
		         errhint("Write an expression over value, e.g. privacy.mask_email(value).")));
	ReferenceCollector collector = {NIL, false};
	(void)CollectReferences(linitial_node(ResTarget, select->targetList)->val, &collector);
	if (collector.other || collector.locations == NIL)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("a category protection must reference the column as value and nothing "
		                "else"),
		         errdetail("It applies to every column classified with the category, whatever the "
		                   "table."),
		         errhint("Write an expression over value, e.g. privacy.mask_email(value).")));
	// each reference must be spelled value or "value" (not U&"..." escapes):
	// the spliced text is validated again, but must mean what was written
	ListCell *check;
	foreach (check, collector.locations) {
		int loc = lfirst_int(check);
		bool quoted_ok = strncmp(mask + loc, "\"value\"", 7) == 0;
		bool plain_ok = pg_strncasecmp(mask + loc, "value", 5) == 0 &&
		                !(isalnum((unsigned char)mask[loc + 5]) || mask[loc + 5] == '_' ||
		                  mask[loc + 5] == '$');
		if (!quoted_ok && !plain_ok)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("a category protection must spell the column as value"),
			                errhint("Write value, without escapes.")));
	}
	if (column == NULL)
		return pstrdup(mask);
	// splice the quoted column name in place of each `value` token (the
	// expression text starts at offset 0 of the PL/pgSQL expression parse)
	list_sort(collector.locations, CompareInts);
	StringInfoData out;
	initStringInfo(&out);
	const char *quoted = quote_identifier(column);
	int pos = 0;
	ListCell *lc;
	foreach (lc, collector.locations) {
		int loc = lfirst_int(lc);
		appendBinaryStringInfo(&out, mask + pos, loc - pos);
		int len = mask[loc] == '"' ? 7 : 5;
		appendStringInfoString(&out, quoted);
		pos = loc + len;
	}
	appendStringInfoString(&out, mask + pos);
	return out.data;
}

void
LoadCategoryCatalog(MemoryContext cxt) {
	void *rows;
	nbindings = ReadTable(cxt, "_category_binding", 'b', &rows, &cat_tables[0]);
	bindings = (Binding *)rows;
	ncatex = ReadTable(cxt, "_category_unmasked", 'x', &rows, &cat_tables[1]);
	catex = (CategoryExemption *)rows;
	nclassified = ReadTable(cxt, "_classification", 'c', &rows, &cat_tables[2]);
	classified = (ColumnRow *)rows;
	nnot_personal = ReadTable(cxt, "_not_personal", 'n', &rows, &cat_tables[3]);
	not_personal = (ColumnRow *)rows;
	nnew = ReadTable(cxt, "_new_column", 'n', &rows, &cat_tables[4]);
	new_columns = (ColumnRow *)rows;
	ndeny_off = ReadTable(cxt, "_default_deny_off", 'r', &rows, &cat_tables[5]);
	deny_off = (ColumnRow *)rows;
	nderived = ReadTable(cxt, "_derived_column", 'l', &rows, &cat_tables[6]);
	derived = (ColumnRow *)rows;
	cat_loaded = true;
}

void
ResetCategoryCatalog() {
	cat_loaded = false;
	memset(cat_tables, 0, sizeof(cat_tables));
	nbindings = ncatex = nclassified = nnot_personal = nnew = ndeny_off = nderived = 0;
	bindings = NULL;
	catex = NULL;
	classified = not_personal = new_columns = deny_off = derived = NULL;
}

bool
CategoryCatalogPresent() {
	return cat_loaded && OidIsValid(cat_tables[4]) && OidIsValid(cat_tables[6]);
}

bool
IsCategoryCatalogTable(Oid relid) {
	if (!OidIsValid(relid))
		return false;
	for (int i = 0; i < 7; i++)
		if (cat_tables[i] == relid)
			return true;
	return false;
}

bool
CategoryPoliciesLoaded() {
	return cat_loaded && ((nbindings > 0 && nclassified > 0) || nnew > 0 || nderived > 0);
}

bool
CategoryCatalogMentionsRelation(Oid relid) {
	const ColumnRow *tables[5] = {classified, not_personal, new_columns, deny_off, derived};
	int counts[5] = {nclassified, nnot_personal, nnew, ndeny_off, nderived};
	for (int t = 0; t < 5; t++)
		for (int i = 0; i < counts[t]; i++)
			if (tables[t][i].relid == relid)
				return true;
	return false;
}

bool
CategoryCatalogMentionsRole(Oid roleid) {
	for (int i = 0; i < ncatex; i++)
		if (catex[i].role == roleid)
			return true;
	return false;
}

void
AddCategoryColumns(GovernedRel *entry, List *ancestors, int *cap) {
	List *lineage = lcons_oid(entry->relid, list_copy(ancestors));
	int first_new = entry->ncolumns;

	// 2. category protections
	for (int i = 0; i < nclassified && nbindings > 0; i++) {
		const ColumnRow *row = &classified[i];
		if (!list_member_oid(lineage, row->relid))
			continue;
		const char *mask = BindingOf(row->category);
		if (mask == NULL)
			continue;
		AttrNumber attnum = get_attnum(entry->relid, NameStr(row->column));
		if (attnum <= 0 || HasColumn(entry, attnum))
			continue;
		MaskedColumn *col = NewColumn(entry, cap, attnum, NameStr(row->column), row->relid, 'c',
		                              ExpandCategoryMask(mask, NameStr(row->column)));
		col->category = row->category;
	}

	// 3. default deny
	bool deny_off_here = false;
	for (int i = 0; i < ndeny_off; i++)
		if (list_member_oid(lineage, deny_off[i].relid))
			deny_off_here = true;
	for (int i = 0; i < nnew && !deny_off_here; i++) {
		const ColumnRow *row = &new_columns[i];
		if (!list_member_oid(lineage, row->relid))
			continue;
		const char *name = NameStr(row->column);
		AttrNumber attnum = get_attnum(entry->relid, name);
		if (attnum <= 0 || HasColumn(entry, attnum))
			continue;
		if (FindRow(classified, nclassified, lineage, name) != NULL ||
		    FindRow(not_personal, nnot_personal, lineage, name) != NULL)
			continue;
		NewColumn(entry, cap, attnum, name, row->relid, 'd',
		          DenyMask(get_atttype(entry->relid, attnum), name));
	}

	// 4. generated columns over masked columns of the same relation
	if (entry->ncolumns > 0) {
		Relation rel = try_relation_open(entry->relid, AccessShareLock);
		TupleDesc desc = rel != NULL ? RelationGetDescr(rel) : NULL;
		if (desc != NULL && desc->constr != NULL && desc->constr->has_generated_stored) {
			for (int d = 0; d < desc->constr->num_defval; d++) {
				AttrDefault *def = &desc->constr->defval[d];
				Form_pg_attribute att = TupleDescAttr(desc, def->adnum - 1);
				if (att->attgenerated != ATTRIBUTE_GENERATED_STORED || att->attisdropped ||
				    HasColumn(entry, def->adnum))
					continue;
				Bitmapset *refs = NULL;
				pull_varattnos((Node *)stringToNode(def->adbin), 1, &refs);
				int nsources = 0;
				int last = -1;
				for (int j = 0; j < entry->ncolumns; j++)
					if (bms_is_member(entry->columns[j].attnum - FirstLowInvalidHeapAttributeNumber,
					                  refs)) {
						nsources++;
						last = j;
					}
				if (nsources == 0)
					continue;
				const MaskedColumn *src = &entry->columns[last];
				const char *mask = "NULL";
				const char *category = NULL;
				if (nsources == 1 && src->kind == 'c' && src->atttype == att->atttypid) {
					mask = ExpandCategoryMask(BindingOf(src->category), NameStr(att->attname));
					category = src->category;
				}
				MaskedColumn *col = NewColumn(entry, cap, def->adnum, NameStr(att->attname),
				                              entry->relid, 'l', mask);
				col->category = category;
				col->source_relids = (Oid *)MemoryContextAllocZero(ColumnPolicyCacheContext(),
				                                                   sizeof(Oid) * nsources);
				col->source_columns = (NameData *)MemoryContextAllocZero(
				        ColumnPolicyCacheContext(), sizeof(NameData) * nsources);
				for (int j = 0; j < entry->ncolumns - 1; j++)
					if (entry->columns[j].kind != 'l' &&
					    bms_is_member(entry->columns[j].attnum - FirstLowInvalidHeapAttributeNumber,
					                  refs)) {
						col->source_relids[col->nsources] = entry->relid;
						col->source_columns[col->nsources] = entry->columns[j].column;
						col->nsources++;
					}
			}
		}
		if (rel != NULL)
			relation_close(rel, AccessShareLock);
	}
	(void)first_new;

	// 5. recorded lineage (CREATE TABLE AS, SELECT INTO, matviews)
	for (int i = 0; i < nderived; i++) {
		const ColumnRow *row = &derived[i];
		if (row->relid != entry->relid)
			continue;
		AttrNumber attnum = get_attnum(entry->relid, NameStr(row->column));
		if (attnum <= 0 || HasColumn(entry, attnum))
			continue;
		int nsources = 0;
		for (int j = 0; j < nderived; j++)
			if (derived[j].relid == entry->relid &&
			    namestrcmp(&derived[j].column, NameStr(row->column)) == 0)
				nsources++;
		MaskedColumn *col =
		        NewColumn(entry, cap, attnum, NameStr(row->column), entry->relid, 'l', "NULL");
		col->source_relids =
		        (Oid *)MemoryContextAllocZero(ColumnPolicyCacheContext(), sizeof(Oid) * nsources);
		col->source_columns = (NameData *)MemoryContextAllocZero(ColumnPolicyCacheContext(),
		                                                         sizeof(NameData) * nsources);
		for (int j = 0; j < nderived; j++)
			if (derived[j].relid == entry->relid &&
			    namestrcmp(&derived[j].column, NameStr(row->column)) == 0) {
				col->source_relids[col->nsources] = derived[j].source_relid;
				col->source_columns[col->nsources] = derived[j].source_column;
				col->nsources++;
			}
	}
	list_free(lineage);
}

bool
CategoryColumnMaskedFor(const MaskedColumn *col, Oid userid) {
	if (col->kind == 'c') {
		for (int i = 0; i < ncatex; i++)
			if (strcmp(catex[i].category, col->category) == 0 &&
			    has_privs_of_role(userid, catex[i].role))
				return false;
		return true;
	}
	// lineage: masked while one of its sources is masked for userid
	bool masked = false;
	// the caller may hold this entry without a pin: nothing may reset the
	// cache while the sources are looked up
	HoldColumnPolicyCache();
	PG_TRY();
	{
		for (int s = 0; s < col->nsources && !masked; s++) {
			// a source that is gone (dropped table or column) cannot tell
			// whom it masked: the derived column stays masked
			if (get_rel_relkind(col->source_relids[s]) == '\0' ||
			    get_attnum(col->source_relids[s], NameStr(col->source_columns[s])) ==
			            InvalidAttrNumber) {
				masked = true;
				break;
			}
			const GovernedRel *source = LookupGovernedRel(col->source_relids[s]);
			if (source == NULL)
				continue;
			for (int j = 0; j < source->ncolumns && !masked; j++)
				if (namestrcmp(&source->columns[j].column, NameStr(col->source_columns[s])) == 0 &&
				    &source->columns[j] != col)
					masked = ColumnMaskedFor(source, j, userid);
		}
	}
	PG_FINALLY();
	{ UnpinColumnPolicyCache(); }
	PG_END_TRY();
	return masked;
}

} // namespace privacy::pg
