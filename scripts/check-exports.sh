#!/usr/bin/env bash
# check-exports.sh: fails if pg_privacy.so exports anything but the magic
# block, _PG_init and the pg_privacy_* / pg_finfo_pg_privacy_* entry points.
set -euo pipefail
so=${1:-pg_privacy.so}
bad=$(nm --defined-only --extern-only -D "$so" | awk '{print $3}' |
	grep -Ev '^(Pg_magic_func|_PG_init|pg_privacy_[A-Za-z0-9_]+|pg_finfo_pg_privacy_[A-Za-z0-9_]+)$' || true)
if [ -n "$bad" ]; then
	echo "check-exports: unexpected exported symbols in $so:" >&2
	echo "$bad" >&2
	exit 1
fi
echo "check-exports: $(nm --defined-only --extern-only -D "$so" | wc -l) exported symbols, all allowed"
