// audit.cpp: SQL functions of the disclosure audit, the exemption rule and
// the subject export's reads.
//
//  privacy.audit_wait(timeout)               waits until the disclosure
//                                            records of this database are
//                                            in privacy.audit_log
//  privacy._check_exemption_grantee(role, action)
//                                            no administrator exempts itself
//  privacy._export_rows(tbl, ids, subject, columns, formats)
//                                            one table's part of
//                                            export_subject, audited
//
// C-style glue: no C++ objects in frames that call PostgreSQL.
#include "pg/audit/queue.hpp"
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/citus.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/masking_secret.hpp"
#include "pg/catalog/owner_exec.hpp"
#include "pg/catalog/privileges.hpp"
#include "pg/hooks/row_security_restrictive.hpp"
#include "pg/postgres.hpp"

#include <string>
#include <string_view>
#include "privacy/core/mask.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xlog.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "rewrite/rowsecurity.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
}

namespace privacy::pg {

namespace {

constexpr long kPollMs = 10;

// AuditWaitImpl implements privacy.audit_wait(interval): polls (bounded by
// the timeout) until no disclosure record of this database waits in the
// queue; true when drained.
Datum
AuditWaitImpl(FunctionCallInfo fcinfo) {
	Interval *timeout = PG_GETARG_INTERVAL_P(0);
	if (timeout->month != 0 || timeout->day != 0 || timeout->time < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("timeout must be a non-negative time without days or months"),
		                errhint("Use a timeout such as '30 seconds'.")));
	if (!AuditQueueAvailable())
		PG_RETURN_BOOL(true);
	TimestampTz deadline = GetCurrentTimestamp() + timeout->time;
	for (;;) {
		if (QueuedFor(MyDatabaseId) == 0)
			PG_RETURN_BOOL(true);
		if (GetCurrentTimestamp() >= deadline)
			PG_RETURN_BOOL(false);
		(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, kPollMs,
		                PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

// CheckExemptionGranteeImpl implements privacy._check_exemption_grantee.
Datum
CheckExemptionGranteeImpl(FunctionCallInfo fcinfo) {
	if (PG_ARGISNULL(0))
		PG_RETURN_VOID();
	const char *action =
	        PG_ARGISNULL(1) ? "grant exemptions" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	CheckExemptionGrantee(PG_GETARG_OID(0), action);
	PG_RETURN_VOID();
}

// ExportReadQuery builds the read of one table's subject rows, each whole
// row as jsonb, in a stable order. A row id is unique only within one
// relation: the rows read are those whose (tableoid, ctid) pair is one of
// the pairs located ($1 row ids, $2 their partitions or children), so that
// a partitioned or inherited table's other members' rows at the same row
// ids are not read. With subject_column (a Citus table, whose row ids are
// those of its shards, the same on every shard, and whose tableoid is the
// shard's), rows whose subject column equals $2 are read instead.
char *
ExportReadQuery(Oid relid, const char *subject_column) {
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(&sql,
	                 "SELECT coalesce(pg_catalog.jsonb_agg(s.r ORDER BY s.r::pg_catalog.text), "
	                 "'[]'::pg_catalog.jsonb) FROM (SELECT pg_catalog.to_jsonb(t) AS r FROM "
	                 "%s t WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($1)",
	                 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
	                                            get_rel_name(relid)));
	if (subject_column != NULL)
		appendStringInfo(&sql, " AND t.%s::pg_catalog.text OPERATOR(pg_catalog.=) $2",
		                 quote_identifier(subject_column));
	else
		appendStringInfoString(&sql, " AND EXISTS (SELECT FROM ROWS FROM ("
		                             "pg_catalog.unnest($2::pg_catalog.oid[]), "
		                             "pg_catalog.unnest($1::pg_catalog.tid[])) u(o, c) "
		                             "WHERE u.o OPERATOR(pg_catalog.=) t.tableoid "
		                             "AND u.c OPERATOR(pg_catalog.=) t.ctid)");
	appendStringInfoString(&sql, ") s");
	return sql.data;
}

// DetokenizeQuery builds the statement that replaces the given token
// columns of the rows read ($1, a jsonb array) by their detokenized values,
// run as the caller (its grants decide and each detokenization is audited
// as its own); NULL when there is no such column.
char *
DetokenizeQuery(ArrayType *columns, ArrayType *formats) {
	Datum *cols;
	bool *col_nulls;
	int ncols;
	Datum *fmts;
	bool *fmt_nulls;
	int nfmts;
	deconstruct_array(columns, TEXTOID, -1, false, TYPALIGN_INT, &cols, &col_nulls, &ncols);
	deconstruct_array(formats, TEXTOID, -1, false, TYPALIGN_INT, &fmts, &fmt_nulls, &nfmts);
	if (ncols != nfmts)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("token columns and formats must have the same length")));
	if (ncols == 0)
		return NULL;
	StringInfoData overrides;
	initStringInfo(&overrides);
	for (int i = 0; i < ncols; i++) {
		if (col_nulls[i] || fmt_nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("token columns must not be null")));
		char *col = quote_literal_cstr(TextDatumGetCString(cols[i]));
		char *fmt = quote_literal_cstr(TextDatumGetCString(fmts[i]));
		appendStringInfo(&overrides,
		                 "%s%s, privacy.detokenize(e.r OPERATOR(pg_catalog.->>) %s, %s)",
		                 i > 0 ? ", " : "", col, col, fmt);
	}
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(&sql,
	                 "SELECT coalesce(pg_catalog.jsonb_agg(s.r ORDER BY s.r::pg_catalog.text), "
	                 "'[]'::pg_catalog.jsonb) FROM (SELECT e.r OPERATOR(pg_catalog.||) "
	                 "pg_catalog.jsonb_build_object(%s) AS r FROM "
	                 "pg_catalog.jsonb_array_elements($1) e(r)) s",
	                 overrides.data);
	return sql.data;
}

// ReaderMayRead reports whether reader may read every column of relid
// through its schema, as the whole-row read would require of it.
bool
ReaderMayRead(Oid relid, Oid reader) {
	if (pg_namespace_aclcheck(get_rel_namespace(relid), reader, ACL_USAGE) != ACLCHECK_OK)
		return false;
	return pg_class_aclcheck(relid, reader, ACL_SELECT) == ACLCHECK_OK ||
	       pg_attribute_aclcheck_all(relid, reader, ACL_SELECT, ACLMASK_ALL) == ACLCHECK_OK;
}

// OwnerPoliciesMayHide reports whether row-security policies that
// pg_privacy does not manage could hide rows of relid from reader: row
// security applies to reader and either one of the owner's SELECT policies
// applies to it (only a restrictive one matters when pg_privacy turned row
// security on: it adds a policy keeping every row), or the owner turned row
// security on and no permissive policy may show reader anything.
bool
OwnerPoliciesMayHide(Oid relid, Oid reader) {
	// RLS_NONE_ENV (a BYPASSRLS role, the owner without FORCE, row_security
	// off) hides nothing either: only RLS_ENABLED means policies apply
	if (check_enable_rls(relid, reader, true) != RLS_ENABLED)
		return false;
	bool by_privacy = RowSecurityEnabledByPrivacy(relid);
	bool hides = !by_privacy;
	// the owner's policies as the relcache holds them (RelationBuildRowSecurity)
	Relation rel = table_open(relid, AccessShareLock);
	ListCell *lc;
	foreach (lc, rel->rd_rsdesc != NULL ? rel->rd_rsdesc->policies : NIL) {
		RowSecurityPolicy *policy = (RowSecurityPolicy *)lfirst(lc);
		if (hides)
			break;
		if (policy->polcmd != '*' && policy->polcmd != ACL_SELECT_CHR)
			continue;
		if (by_privacy && policy->permissive)
			continue;
		Oid *role_oids = (Oid *)ARR_DATA_PTR(policy->roles);
		int nroles = ArrayGetNItems(ARR_NDIM(policy->roles), ARR_DIMS(policy->roles));
		for (int i = 0; i < nroles && !hides; i++)
			hides = role_oids[i] == ACL_ID_PUBLIC || has_privs_of_role(reader, role_oids[i]);
	}
	table_close(rel, AccessShareLock);
	return hides;
}

// SubjectPseudonym is the subject's pseudonym as erase_subject logs it
// (privacy.pseudonym(subject, 'erasure')), computed here rather than through
// SQL: the keyed masks are not executable by the administrators who export.
void
SubjectPseudonym(text *subject, char *out, size_t size) {
	text *value = pg_detoast_datum_packed(subject);
	const char *data = VARDATA_ANY(value);
	size_t length = VARSIZE_ANY_EXHDR(value);
	const std::uint8_t *key = MaskingSecret(); // may ereport: no C++ object is alive yet
	CallCore([&] {
		std::string pseudonym;
		core::Pseudonym(std::string_view(data, length), "erasure", key, pseudonym);
		strlcpy(out, pseudonym.c_str(), size);
	});
}

// ExportRowsImpl implements privacy._export_rows: reads the subject's rows
// of tbl (found again here, as (tableoid, ctid) pairs; the ids argument
// only says which rows the caller expects and is not trusted) as the
// table's owner (ReadAsTableOwner; the caller's privileges and masking
// apply) with pg_privacy's own row policies lifted for that one statement,
// so that a subject's rows are not hidden by consent or filters; records
// the disclosure durably (reserved before the read: a full queue refuses
// it). {"error": "not a table"} for a registered table turned into a view.
Datum
ExportRowsImpl(FunctionCallInfo fcinfo) {
	CheckPolicyAdmin("export data subjects", InvalidOid);
	// the audit writer runs only on a primary: a standby could not record it
	if (RecoveryInProgress())
		ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
		                errmsg("cannot export data subjects on a standby"),
		                errdetail("Every export is recorded in privacy.audit_log."),
		                errhint("Run the export on the primary.")));
	Oid relid = PG_GETARG_OID(0);
	ArrayType *ids = PG_GETARG_ARRAYTYPE_P(1);
	text *subject = PG_GETARG_TEXT_PP(2);
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("relation with OID %u does not exist", relid)));
	// a registered table its owner turned into a view has no rows to read
	if (get_rel_relkind(relid) != RELKIND_RELATION &&
	    get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE)
		PG_RETURN_JSONB_P(DatumGetJsonbP(
		        DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"error\": \"not a table\"}"))));
	bool citus = IsCitusTable(relid);

	DisclosureRecord record;
	memset(&record, 0, sizeof(record));
	FillIdentity(&record);
	record.action = kDisclosureExport;

	int nest_level = RunWithFixedSearchPath();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	char pseudonym[128];
	SubjectPseudonym(subject, pseudonym, sizeof(pseudonym));
	snprintf(record.object, sizeof(record.object), "subject %s in %s", pseudonym,
	         quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
	                                    get_rel_name(relid)));

	// a Citus table's row ids repeat on every shard: its rows are read by
	// subject column as well (tables registered through a parent are not
	// supported there yet)
	char *subject_column = NULL;
	if (citus) {
		Oid types[1] = {OIDOID};
		Datum values[1] = {ObjectIdGetDatum(relid)};
		int rc = SPI_execute_with_args(
		        "SELECT s.subject_column::pg_catalog.text, s.via IS NOT NULL FROM "
		        "privacy._subject_table s WHERE s.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1",
		        1, types, values, NULL, true, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "pg_privacy could not read the subject table: %s",
			     SPI_result_code_string(rc));
		bool null = true;
		bool via =
		        SPI_processed == 1 &&
		        DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &null));
		if (SPI_processed != 1 || via)
			ereport(ERROR,
			        (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			         errmsg("cannot export subjects from Citus table \"%s\"", get_rel_name(relid)),
			         errdetail("Only Citus tables registered with their own subject column are "
			                   "supported."),
			         errhint("Register the table with privacy.register_subject(table, "
			                 "subject_column).")));
		subject_column = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	}
	// The rows are read as the table's owner (ReadAsTableOwner): the
	// owner's code the read runs (casts and functions of its columns' types,
	// masks) acts with the owner's rights, never the administrator's. The
	// reader's part is checked here: its privileges, and whether the owner's
	// own row-security policies, which pg_privacy does not run with the
	// reader's rights, could hide rows from it (the export refuses rather
	// than read rows the reader may not see; BYPASSRLS readers are not
	// filtered). Masking is the reader's. A superuser's table is read as the
	// reader, and refused when a column's type is another role's code.
	Oid reader = GetUserId();
	if (!ReaderMayRead(relid, reader)) {
		SPI_finish();
		RestoreSearchPath(nest_level);
		PG_RETURN_JSONB_P(DatumGetJsonbP(DirectFunctionCall1(
		        jsonb_in, CStringGetDatum("{\"error\": \"permission denied\"}"))));
	}
	if (!superuser_arg(TableOwner(relid)) && OwnerPoliciesMayHide(relid, reader))
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg("export of the subject refused: row-security policies of table \"%s\" "
		                "apply to you",
		                get_rel_name(relid)),
		         errdetail("pg_privacy reads the table as its owner and does not run the owner's "
		                   "policies with your rights; the export could include rows they hide "
		                   "from you."),
		         errhint("Run the export as a role those policies do not filter (the table "
		                 "owner without FORCE ROW LEVEL SECURITY, or a BYPASSRLS role that is a "
		                 "privacy administrator).")));
	char *read_sql = ExportReadQuery(relid, subject_column);
	char *detokenize_sql = DetokenizeQuery(PG_GETARG_ARRAYTYPE_P(3), PG_GETARG_ARRAYTYPE_P(4));

	// the rows read are the subject's rows of the table, whatever ids the
	// caller passed: a direct call cannot read other rows past the filters
	ArrayType *tableoids;
	{
		Oid plan_types[2] = {TEXTOID, OIDOID};
		Datum plan_values[2] = {PointerGetDatum(subject), ObjectIdGetDatum(relid)};
		int rc = SPI_execute_with_args(
		        "SELECT coalesce(p.ids, '{}'::pg_catalog.tid[]), coalesce(p.tableoids, "
		        "'{}'::pg_catalog.oid[]) FROM (SELECT NULL) d LEFT JOIN "
		        "privacy._subject_export_plan($1) p ON p.relid::pg_catalog.oid "
		        "OPERATOR(pg_catalog.=) $2",
		        2, plan_types, plan_values, NULL, true, 2);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "pg_privacy could not find the subject's rows: %s",
			     SPI_result_code_string(rc));
		bool null;
		Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &null);
		ids = DatumGetArrayTypeP(SPI_datumTransfer(d, false, -1));
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &null);
		tableoids = DatumGetArrayTypeP(SPI_datumTransfer(d, false, -1));
	}

	ReserveAuditSlot();
	volatile Datum result = (Datum)0;
	volatile bool isnull = true;
	PG_TRY();
	{
		// $2: the subject (Citus) or the partitions or children of the ids
		Oid types[2] = {TIDARRAYOID, (Oid)(subject_column != NULL ? TEXTOID : OIDARRAYOID)};
		Datum second =
		        subject_column != NULL ? PointerGetDatum(subject) : PointerGetDatum(tableoids);
		Datum values[2] = {PointerGetDatum(ids), second};
		bool nulls[2] = {false, false};
		char *read = ReadAsTableOwner(relid, reader, read_sql, 2, types, values, nulls);
		if (read != NULL) {
			isnull = false;
			result = DirectFunctionCall1(jsonb_in, CStringGetDatum(read));
		}
		if (read != NULL && detokenize_sql != NULL) {
			// the detokenization is the caller's (restricted all the same)
			Oid dtypes[1] = {JSONBOID};
			Datum dvalues[1] = {result};
			Oid userid;
			int sec_context;
			GetUserIdAndSecContext(&userid, &sec_context);
			SetUserIdAndSecContext(userid, sec_context | SECURITY_RESTRICTED_OPERATION);
			int rc = SPI_execute_with_args(detokenize_sql, 1, dtypes, dvalues, NULL, false, 1);
			SetUserIdAndSecContext(userid, sec_context);
			if (rc != SPI_OK_SELECT || SPI_processed != 1)
				elog(ERROR, "pg_privacy export read failed: %s", SPI_result_code_string(rc));
			bool null;
			Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &null);
			isnull = null;
			if (!null)
				result = SPI_datumTransfer(d, false, -1);
		}
	}
	PG_CATCH();
	{
		ReleaseAuditSlot();
		PG_RE_THROW();
	}
	PG_END_TRY();
	SPI_finish();
	RestoreSearchPath(nest_level);

	Jsonb *rows = isnull ? NULL : DatumGetJsonbP(result);
	record.count = rows != NULL && JB_ROOT_IS_ARRAY(rows) ? JB_ROOT_COUNT(rows) : 0;
	EnqueueReserved(&record);
	if (rows == NULL)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(rows);
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(audit_wait, privacy::pg::AuditWaitImpl)
PRIVACY_FUNCTION(_check_exemption_grantee, privacy::pg::CheckExemptionGranteeImpl)
PRIVACY_FUNCTION(_export_rows, privacy::pg::ExportRowsImpl)
