// guc.cpp: every privacy.* setting, in alphabetical order, then the prefix
// reservation. No setting holds a secret: values show in pg_settings, in
// logged SET statements and in stored role settings.
#include "pg/guc.hpp"

#include "pg/catalog/privileges.hpp"
#include "pg/catalog/row_policies.hpp"

#include "pg/postgres.hpp"

extern "C" {
#include "utils/guc.h"
#include "utils/plancache.h"
}

namespace privacy::pg {

bool guc_masking = true;
char *guc_master_key_command = NULL;
char *guc_master_key_file = NULL;
char *guc_purpose = NULL;

namespace {

// AssignMasking forgets cached plans when enforcement is switched, because a
// plan does not depend on a GUC: one made with masking off must not be
// reused once it is back on.
void
AssignMasking(bool newval, void *extra) {
	if (newval != guc_masking)
		ResetPlanCache();
}

// CheckPurposeHook adapts the GUC check hook signature.
bool
CheckPurposeHook(char **newval, void **extra, GucSource source) {
	return CheckPurposeGuc(newval, extra, (int)source);
}

} // namespace

void
RegisterGucs() {
	DefineCustomStringVariable("privacy.admin_role", "Role whose members administer privacy policies.",
	                           "Members (with INHERIT) may declare and drop policies of every kind, grant "
	                           "exemptions and detokenize rights. privacy.setup_roles() creates the role.",
	                           &guc_admin_role, "privacy_admin", PGC_SUSET, 0, NULL, NULL, NULL);

	DefineCustomStringVariable("privacy.auditor_role", "Role whose members read the compliance views.",
	                           "Members may read every compliance view and the audit log, and change nothing.",
	                           &guc_auditor_role, "privacy_auditor", PGC_SUSET, 0, NULL, NULL, NULL);

	DefineCustomBoolVariable("privacy.masking", "Enforces dynamic column masking.",
	                         "When off, masked columns return raw values to every role. Only superusers can change "
	                         "it; intended for maintenance.",
	                         &guc_masking, true, PGC_SUSET, 0, NULL, AssignMasking, NULL);

	DefineCustomStringVariable("privacy.master_key_command",
	                           "Shell command that prints the tokenization master key.",
	                           "It must print 64 hexadecimal characters and exit with status 0; lets a KMS or "
	                           "Vault supply the key. Holds a command, never a key.",
	                           &guc_master_key_command, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);

	DefineCustomStringVariable("privacy.master_key_file", "File holding the tokenization master key.",
	                           "64 hexadecimal characters; the file must be owned by the server user with mode "
	                           "0600. Holds a path, never a key.",
	                           &guc_master_key_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);

	DefineCustomBoolVariable("privacy.owners_may_declare", "Lets table owners declare policies on their own tables.",
	                         "Owners may then declare masks and row policies on tables they own; they can never "
	                         "grant exemptions. Off by default.",
	                         &guc_owners_may_declare, false, PGC_SUSET, 0, NULL, NULL, NULL);

	DefineCustomStringVariable("privacy.purpose", "Declares what the session is doing with personal data.",
	                           "Consent-gated rows are visible only under a declared purpose the role is allowed "
	                           "(privacy.allow_purpose) and only for subjects consenting to it.",
	                           &guc_purpose, "", PGC_USERSET, 0,
	                           (GucStringCheckHook)CheckPurposeHook, NULL, NULL);

	MarkGUCPrefixReserved("privacy");
}

} // namespace privacy::pg
