#!/usr/bin/env bash
# run-demo.sh: the README's main command (`make demo`). Installs what is
# missing, builds and installs pg_privacy, starts a throwaway cluster in
# /tmp/pg_privacy_demo with shared_preload_libraries = 'pg_privacy', loads
# the demo dataset and policies, and walks through what it shows. The
# cluster keeps running afterwards so you can explore it; `make demo-stop`
# (or `run-demo.sh stop`) stops and removes it.
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
source test/harness/cluster.sh
export CLUSTER_BASE_DIR=/tmp/pg_privacy_demo
PRIVACY_PG_PORT=${PRIVACY_DEMO_PORT:-54330}

stop_demo() {
	CLUSTER_DIR[demo]=$CLUSTER_BASE_DIR
	cluster_destroy demo
}

if [ "${1:-}" = "stop" ]; then
	stop_demo
	echo "demo cluster stopped and removed"
	exit 0
fi

echo "== installing dependencies, building and installing pg_privacy"
bash scripts/install-deps.sh
make -s >/dev/null
if [ "$(id -u)" -ne 0 ]; then sudo make -s install >/dev/null; else make -s install >/dev/null; fi

echo "== starting a throwaway cluster in $CLUSTER_BASE_DIR"
# the purge worker looks for expired rows every few seconds in the demo
export PRIVACY_PURGE_NAPTIME=5
stop_demo
cluster_create demo yes
trap 'echo "demo failed; removing the cluster" >&2; stop_demo' ERR
cluster_start demo
cluster_psql demo -d postgres -c 'CREATE DATABASE privacy_demo'
cluster_psql demo -d privacy_demo -c 'CREATE EXTENSION pg_privacy'

echo "== loading the demo dataset (${PRIVACY_DEMO_CUSTOMERS:-100000} customers)"
cluster_psql demo -d privacy_demo -f contrib/demo/schema.sql
cluster_psql demo -d privacy_demo -v customers="${PRIVACY_DEMO_CUSTOMERS:-100000}" -f contrib/demo/seed.sql

echo "== declaring the privacy programme (contrib/demo/policies.sql)"
cluster_psql demo -d privacy_demo -f contrib/demo/policies.sql >/dev/null

cluster_psql demo -d privacy_demo -f contrib/demo/walkthrough.sql
trap - ERR

cat <<MSG

The demo cluster is still running. Connect with:
    psql -h $CLUSTER_BASE_DIR/sock -p $PRIVACY_PG_PORT -U postgres privacy_demo
Stop and remove it with:
    make demo-stop
MSG
