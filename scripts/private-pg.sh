#!/usr/bin/env bash
# private-pg.sh DIR: makes DIR a private, relocatable copy of the system's
# PostgreSQL 15 installation (binaries, libraries, share files, server
# headers). With PRIVACY_PG_ROOT=DIR, `make test` builds against it and
# installs pg_privacy there instead of into the system directories, so
# several checkouts can be tested on one machine at once without replacing
# each other's installed extension. CI does not need it.
set -euo pipefail
dir=${1:?usage: private-pg.sh DIR}
mkdir -p "$dir/usr/lib/postgresql" "$dir/usr/share/postgresql" "$dir/usr/include"
cp -a /usr/lib/postgresql/15 "$dir/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$dir/usr/share/postgresql/"
cp -a /usr/include/postgresql "$dir/usr/include/"
echo "private PostgreSQL in $dir: $("$dir/usr/lib/postgresql/15/bin/pg_config" --version)"
