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
#include "pg/catalog/privileges.hpp"
#include "pg/hooks/row_security_restrictive.hpp"
#include "pg/postgres.hpp"

#include <string>
#include <string_view>
#include "privacy/core/mask.hpp"

extern "C" {
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/builtins.h"
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

// ExportQuery builds the read of one table's subject rows: the whole row as
// jsonb, the given token columns replaced by their detokenized values. With
// subject_column, only rows whose subject column equals $2 are read too: a
// Citus table's row ids are those of its shards, the same on every shard.
char *
ExportQuery(Oid relid, ArrayType *columns, ArrayType *formats, const char *subject_column) {
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
	StringInfoData overrides;
	initStringInfo(&overrides);
	for (int i = 0; i < ncols; i++) {
		if (col_nulls[i] || fmt_nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("token columns must not be null")));
		char *col = TextDatumGetCString(cols[i]);
		char *fmt = TextDatumGetCString(fmts[i]);
		appendStringInfo(&overrides, "%s%s, privacy.detokenize(t.%s::pg_catalog.text, %s)",
		                 i > 0 ? ", " : "", quote_literal_cstr(col), quote_identifier(col),
		                 quote_literal_cstr(fmt));
	}
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(&sql,
	                 "SELECT coalesce(pg_catalog.jsonb_agg(s.r ORDER BY s.r::pg_catalog.text), "
	                 "'[]'::pg_catalog.jsonb) FROM (SELECT pg_catalog.to_jsonb(t) %s%s%s AS r FROM "
	                 "%s t WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($1)%s%s%s) s",
	                 ncols > 0 ? "OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(" : "",
	                 overrides.data, ncols > 0 ? ")" : "",
	                 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
	                                            get_rel_name(relid)),
	                 subject_column != NULL ? " AND t." : "",
	                 subject_column != NULL ? quote_identifier(subject_column) : "",
	                 subject_column != NULL ? "::pg_catalog.text OPERATOR(pg_catalog.=) $2" : "");
	return sql.data;
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
// of tbl (found again here; the ids argument only says which rows the
// caller expects and is not trusted) as the caller (the caller's privileges and masking apply) with
// pg_privacy's own row policies lifted for that one statement, so that a
// subject's rows are not hidden by consent or filters; records the
// disclosure durably (reserved before the read: a full queue refuses it).
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
	char *sql =
	        ExportQuery(relid, PG_GETARG_ARRAYTYPE_P(3), PG_GETARG_ARRAYTYPE_P(4), subject_column);

	// the rows read are the subject's rows of the table, whatever ids the
	// caller passed: a direct call cannot read other rows past the filters
	{
		Oid plan_types[2] = {TEXTOID, OIDOID};
		Datum plan_values[2] = {PointerGetDatum(subject), ObjectIdGetDatum(relid)};
		int rc = SPI_execute_with_args(
		        "SELECT coalesce((SELECT p.ids FROM privacy._subject_export_plan($1) p WHERE "
		        "p.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $2), '{}'::pg_catalog.tid[])",
		        2, plan_types, plan_values, NULL, true, 1);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "pg_privacy could not find the subject's rows: %s",
			     SPI_result_code_string(rc));
		bool null;
		Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &null);
		ids = DatumGetArrayTypeP(SPI_datumTransfer(d, false, -1));
	}

	ReserveAuditSlot();
	volatile Datum result = (Datum)0;
	volatile bool isnull = true;
	PG_TRY();
	{
		Oid types[2] = {TIDARRAYOID, TEXTOID};
		// pg_privacy's row policies are left out while this statement is
		// rewritten (parse analysis and rewrite run no user code); the
		// plan and everything it runs are made after they are back
		LiftRowFilters(relid);
		SPIPlanPtr plan = SPI_prepare(sql, subject_column != NULL ? 2 : 1, types);
		LiftRowFilters(InvalidOid);
		if (plan == NULL)
			elog(ERROR, "pg_privacy export read could not be prepared: %s",
			     SPI_result_code_string(SPI_result));
		Datum values[2] = {PointerGetDatum(ids), PointerGetDatum(subject)};
		// the read runs as the caller (its privileges and masking apply), but
		// restricted: the table owner's code it runs (its row-security
		// policies' functions, its columns' types) acts with the
		// administrator's rights and must not use them for policy changes,
		// SET ROLE or temporary objects. A subtransaction abort restores the
		// context on error.
		Oid userid;
		int sec_context;
		GetUserIdAndSecContext(&userid, &sec_context);
		SetUserIdAndSecContext(userid, sec_context | SECURITY_RESTRICTED_OPERATION);
		int rc = SPI_execute_plan(plan, values, NULL, false, 1);
		SetUserIdAndSecContext(userid, sec_context);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "pg_privacy export read failed: %s", SPI_result_code_string(rc));
		bool null;
		Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &null);
		isnull = null;
		if (!null)
			result = SPI_datumTransfer(d, false, -1);
	}
	PG_CATCH();
	{
		LiftRowFilters(InvalidOid);
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
