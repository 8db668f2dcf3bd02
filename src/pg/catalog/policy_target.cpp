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

// CheckPolicyTarget accepts ordinary and partitioned tables outside the
// system catalogs and outside the extension's own schema.
void
CheckPolicyTarget(Oid relid, const char *what) {
	char relkind = get_rel_relkind(relid);
	if (relkind == '\0')
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
		                errmsg("cannot %s \"%s\"", what, get_rel_name(relid)),
		                errdetail("Only tables and partitioned tables can have %s.",
		                          strcmp(what, "mask columns of") == 0 ? "masking policies"
		                                                               : "row policies")));
	Oid nsp = get_rel_namespace(relid);
	if (relid < FirstNormalObjectId || IsCatalogNamespace(nsp) || IsToastNamespace(nsp) ||
	    nsp == PrivacySchema())
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
		                errmsg("cannot %s \"%s\"", what, get_rel_name(relid)),
		                errdetail("System catalogs and pg_privacy's own tables cannot have %s.",
		                          strcmp(what, "mask columns of") == 0 ? "masking policies"
		                                                               : "row policies")));
}

} // namespace privacy::pg
