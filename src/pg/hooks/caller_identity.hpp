// caller_identity.hpp: who calls pg_privacy's API, through SECURITY DEFINER
// functions of other roles.
//
// The API's functions are SECURITY DEFINER (owned by the extension's owner),
// so inside them current_user no longer tells who called; the outer user
// (SET ROLE) does not change inside any SECURITY DEFINER function, so it
// names the session's role even when a function of another, untrusted role
// made the call. An fmgr_hook keeps the identity of every SECURITY DEFINER
// frame outside the extension's schema, and CallerUserId answers with the
// innermost one: the role whose privileges PostgreSQL itself grants the
// calling code.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// CallerUserId is the role that called the API: the identity of the frame
// right below the innermost active function of the extension's schema (a
// SECURITY DEFINER function or function with SET clauses of another role,
// or an executor run, which records the current user it started with: a
// foreign-key cascade runs its query as the referencing table's owner),
// the outer user when nothing is below it, and the current user when no
// function of the extension is active. Without shared_preload_libraries no
// hook is installed and it is the outer user.
Oid CallerUserId();

// PushExecutorIdentity records the current user for an executor run (the
// ExecutorRun hook); PopExecutorIdentity(depth) unwinds to the depth
// CallerIdentityDepth() returned before the push, also on error.
void PushExecutorIdentity();
void PopExecutorIdentity(int saved_depth);
int CallerIdentityDepth();

// InstallCallerIdentityHook installs the fmgr_hook (preload only: frames
// entered before a lazy load would be missed).
void InstallCallerIdentityHook();

} // namespace privacy::pg
