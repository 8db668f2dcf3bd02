// row_policy_quals.hpp: builds the RowSecurityPolicy quals of one queried
// relation from the rows of privacy._row_policy (the policy cache in
// row_policies.cpp owns the rows and the memory).
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "rewrite/rowsecurity.h"
}

namespace privacy::pg {

// PolicyRow is one row of privacy._row_policy.
struct PolicyRow {
	Oid relid;
	char *name;
	bool consent;   // kind consent
	bool retention; // kind retention (hide rows past the retention window)
	NameData subject_column;
	char *purpose;
	char *condition;        // canonical text (used only without condition_function)
	Oid condition_function; // a filter's stored expression (stored_expressions.hpp)
	int nroles;
	Oid *roles;
};

// RelPolicies is the cached set of policies for one queried relation.
struct RelPolicies {
	Oid relid; // hash key
	int npolicies;
	RowSecurityPolicy *policies; // consent ones first flagged by consent[]
	bool *consent;
};

// BuildRelationPolicies builds the RowSecurityPolicy nodes of entry->relid
// from rows (the relation's own policies, then its ancestors'), allocated in
// context.
void BuildRelationPolicies(RelPolicies *entry, const PolicyRow *rows, int nrows,
                           MemoryContext context);

} // namespace privacy::pg
