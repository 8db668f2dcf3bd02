#!/usr/bin/env bash
# check-versions.sh: the control file and META.json (its version and the
# version it provides) must carry the same version. The Makefile reads the
# version from the control file for the generated install script's name and
# the library (PRIVACY_EXTVERSION), so those cannot differ.
set -euo pipefail
cd "$(dirname "$0")/.."
control=$(sed -n "s/^default_version = '\(.*\)'/\1/p" pg_privacy.control)
meta=$(perl -MJSON::PP -e 'local $/; my $d = decode_json(<STDIN>); print "$d->{version} $d->{provides}{pg_privacy}{version}\n"' < META.json)
for v in $meta; do
	if [ "$v" != "$control" ]; then
		echo "check-versions: META.json says $v, pg_privacy.control says $control" >&2
		exit 1
	fi
done
echo "check-versions: $control everywhere"
