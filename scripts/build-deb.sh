#!/usr/bin/env bash
# build-deb.sh: `make deb`. Builds the Debian binary package
# postgresql-15-pg-privacy_<version>-<rev>_<arch>.deb into build/deb/ with
# PostgreSQL's Debian tooling (debian/: pg_buildext, pgxs_loop), from a copy
# of the files git tracks (or of the tree, without build outputs, outside a
# git checkout). Installs the Debian build dependencies it needs first.
# Prints the path of the package on its last line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
packages=(debhelper dpkg-dev postgresql-server-dev-all)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
	sudo_cmd=()
	[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
	echo "build-deb: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
upstream=${version%-*}
out=$root/build/deb
src=$out/pg-privacy-$upstream
rm -rf "$out"
mkdir -p "$src"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# tracked files as they are in the work tree (uncommitted edits included)
	git -C "$root" ls-files -z | (cd "$root" && xargs -0 cp --parents -t "$src")
else
	tar -C "$root" --exclude=./build --exclude='*.o' --exclude='*.so' --exclude='*.d' -cf - . | tar -C "$src" -xf -
fi
# the control file must match debian/control.in for the versions to build
(cd "$src" && pg_buildext checkcontrol)
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -b -us -uc >"$out/build.log" 2>&1) || {
	tail -40 "$out/build.log"
	exit 1
}
ls "$out"/postgresql-*-pg-privacy_"$version"_*.deb | head -1
