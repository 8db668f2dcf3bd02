#!/usr/bin/env bash
# build-dist.sh: `make dist`. Builds the PGXN distribution
# build/dist/pg_privacy-<version>.zip from the committed files (git archive
# of HEAD: nothing generated, nothing uncommitted), then checks it with
# scripts/check-dist.py (META.json valid for the PGXN meta spec 1.0.0, and
# every file it names inside the zip). Prints the zip's path last.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" pg_privacy.control)
out=$root/build/dist
mkdir -p "$out"
zip=$out/pg_privacy-$version.zip
rm -f "$zip"
git archive --format=zip --prefix="pg_privacy-$version/" -o "$zip" HEAD
python3 scripts/check-dist.py "$zip" >&2
echo "$zip"
