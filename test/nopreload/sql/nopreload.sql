-- nopreload: without shared_preload_libraries the extension still installs
-- and its SQL functions work; version() says the library was not preloaded.
SELECT privacy.version() ~ '^pg_privacy [0-9.]+ \(not preloaded\), ' AS reports_not_preloaded;
SELECT privacy.redact('CANARY-' || '33333333') AS redacted;
SELECT privacy._boundary_pg_error('7') AS guarded_call_works;
