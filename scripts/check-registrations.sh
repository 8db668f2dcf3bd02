#!/usr/bin/env bash
# check-registrations.sh: pg_privacy registers invalidation callbacks only
# through src/pg/catalog/invalidation.cpp, which owns one relcache slot and
# one syscache slot per cache id. PostgreSQL 15 has 10 relcache slots per
# process for every library together; a direct registration elsewhere would
# take more (test/tap/t/004_callback_slots.pl proves the coexistence).
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -rln --include='*.cpp' -E 'CacheRegister(Relcache|Syscache)Callback' src/pg | grep -v '^src/pg/catalog/invalidation.cpp$' || true)
if [ -n "$bad" ]; then
	echo "check-registrations: register invalidation callbacks through pg/catalog/invalidation.hpp, not directly in:" >&2
	echo "$bad" >&2
	exit 1
fi
echo "check-registrations: one relcache and one syscache dispatcher"
