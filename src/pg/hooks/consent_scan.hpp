// consent_scan.hpp: the consent-gated sequential scan (a CustomScan that
// evaluates pg_privacy's consent check inline, before every other qual, with
// one set of standing consents per query shared with parallel workers).
#pragma once

namespace privacy::pg {

// InstallConsentScan registers the scan's methods and chains
// set_rel_pathlist_hook (from _PG_init, preload only).
void InstallConsentScan();

} // namespace privacy::pg
