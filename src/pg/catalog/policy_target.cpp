// policy_target.cpp: the check every policy API entry point makes on the
// table it is given (see the header).
#include "pg/catalog/policy_target.hpp"
#include "pg/catalog/extension_schema.hpp"

extern "C" {
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "access/transam.h"
#include "catalog/pg_class.h"
#include "utils/lsyscache.h"
}

namespace privacy::pg {

namespace {

// Refusals holds the whole messages of one kind of policy.
struct Refusals {
	const char *not_table;     // errmsg, %s: the relation
	const char *not_table_why; // errdetail
	const char *system;        // errmsg, %s: the relation
	const char *system_why;    // errdetail
};

const Refusals kMasking = {
        gettext_noop("cannot mask columns of \"%s\""),
        gettext_noop("Only tables and partitioned tables can have masking policies."),
        gettext_noop("cannot mask columns of \"%s\""),
        gettext_noop("System catalogs and pg_privacy's own tables cannot have masking policies."),
};

const Refusals kRowPolicies = {
        gettext_noop("cannot add row policies to \"%s\""),
        gettext_noop("Only tables and partitioned tables can have row policies."),
        gettext_noop("cannot add row policies to \"%s\""),
        gettext_noop("System catalogs and pg_privacy's own tables cannot have row policies."),
};

} // namespace

// CheckPolicyTarget accepts ordinary and partitioned tables outside the
// system catalogs and outside the extension's own schema.
void
CheckPolicyTarget(Oid relid, PolicyKind kind) {
	const Refusals &refusals = kind == PolicyKind::kMasking ? kMasking : kRowPolicies;
	char relkind = get_rel_relkind(relid);
	if (relkind == '\0')
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
		                errmsg(refusals.not_table, get_rel_name(relid)),
		                errdetail("%s", _(refusals.not_table_why))));
	Oid nsp = get_rel_namespace(relid);
	if (relid < FirstNormalObjectId || IsCatalogNamespace(nsp) || IsToastNamespace(nsp) ||
	    nsp == PrivacySchema())
		ereport(ERROR,
		        (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg(refusals.system, get_rel_name(relid)),
		         errdetail("%s", _(refusals.system_why))));
}

} // namespace privacy::pg
