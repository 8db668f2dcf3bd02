#!/usr/bin/env bash
# run.sh: Perl TAP tests using PostgreSQL::Test::Cluster (from the server's
# PGXS installation). They create and remove their own clusters. PostgreSQL
# refuses to run as root, so as root the tests run as the postgres OS user in
# a scratch copy of this directory.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bindir=$(pg_config --bindir)
pgxs=$(dirname "$(pg_config --pgxs)")/..
perl_lib=$(cd "$pgxs/test/perl" && pwd)
work=$(mktemp -d /tmp/pg_privacy_tap.XXXXXX)
cp -r "$here/t" "$here/modules" "$work/"
run=()
if [ "$(id -u)" -eq 0 ]; then
	chown -R postgres "$work"
	run=(runuser -u postgres --)
fi
cd "$work"
"${run[@]}" env PATH="$bindir:$PATH" PERL5LIB="$perl_lib" PG_REGRESS="$pgxs/test/regress/pg_regress" TESTDIR="$work" \
	prove -v t/*.pl 2>&1 | tee "$work/prove.log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
	for f in "$work"/tmp_check/log/*; do echo "--- $f"; tail -30 "$f"; done
fi
rm -rf "$work"
exit "$status"
