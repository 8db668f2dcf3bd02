#!/usr/bin/env bash
# install-deps.sh: installs what building and testing pg_privacy needs on
# Debian 12, and nothing when everything is already there (fast, idempotent).
# Runs apt-get directly as root, through sudo otherwise.
set -euo pipefail

packages=(
	build-essential cmake pkg-config python3
	postgresql-15 postgresql-server-dev-15 postgresql-contrib
	libssl-dev libsodium-dev
	libgtest-dev libbenchmark-dev
	postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl libipc-run-perl
	faketime clang-format
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
	sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
