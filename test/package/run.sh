#!/usr/bin/env bash
# run.sh: the Debian package works. Builds it (make deb), installs it with
# dpkg, checks that the files on disk are the package's (dpkg --verify) and
# that it ships the library, the control file, the current install script,
# every released install script and every update script, then runs the
# pg_regress suite on a fresh preloaded cluster against those files.
# Needs root (or sudo without a password) and the system PostgreSQL: prints
# "package: skipped" otherwise. Prints "package: N passed, M failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
	if sudo -n true 2>/dev/null; then sudo_cmd=(sudo -n); else echo "package: skipped (needs root)"; exit 0; fi
fi
if [ -n "${PRIVACY_PG_ROOT:-}" ]; then
	echo "package: skipped (a private PostgreSQL copy is in use)"
	exit 0
fi
passed=0
failed=0
check() {
	if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok - $1"; else failed=$((failed + 1)); echo "not ok - $1"; fi
}
deb=$(bash scripts/build-deb.sh | tail -1)
[ -f "$deb" ]
check "make deb built $(basename "$deb")" $?
"${sudo_cmd[@]}" dpkg -i "$deb" >/dev/null
check "dpkg installs it" $?
pkg=$(dpkg-deb -f "$deb" Package)
"${sudo_cmd[@]}" dpkg --verify "$pkg"
check "the installed files are the package's" $?
files=$(dpkg -L "$pkg")
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" pg_privacy.control)
missing=0
for f in /usr/lib/postgresql/15/lib/pg_privacy.so /usr/share/postgresql/15/extension/pg_privacy.control \
	"/usr/share/postgresql/15/extension/pg_privacy--$version.sql" $(cd src/sql && ls pg_privacy--*.sql updates/*.sql |
	sed 's#^updates/##; s#^#/usr/share/postgresql/15/extension/#'); do
	grep -qxF "$f" <<<"$files" || { echo "missing from the package: $f"; missing=1; }
done
check "it ships the library, the control file and every install and update script" $missing

source test/harness/cluster.sh
trap cluster_destroy_all EXIT
cluster_create pkg yes && cluster_start pkg
check "a preloaded cluster starts with the packaged library" $?
env $(cluster_env pkg) make -s installcheck >build/logs/package-regress.log 2>&1
check "pg_regress passes against the packaged files" $?
grep -E 'tests (passed|failed)' build/logs/package-regress.log
cluster_destroy pkg
echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
