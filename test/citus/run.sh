#!/usr/bin/env bash
# run.sh: the opt-in Citus suite (`make test-citus`; `make test` runs it when
# it can). When Citus is installed next to the PostgreSQL that pg_config
# names (citus.control in its share directory), it builds a coordinator and
# two workers on this machine (three clusters, Unix sockets only, the same
# master key file content on every node, shared_preload_libraries =
# 'citus,pg_privacy') and runs test/citus/checks.sh against them. Otherwise
# it prints "citus: skipped: Citus is not installed" and exits 0: a skipped
# suite counts neither as passed nor as failed.
# This repository never contains Citus nor a script that fetches or builds it
# (doc/scale-out.md says how to install it).
# Prints "citus: N passed, M failed" (one per check).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -n "${PRIVACY_PG_ROOT:-}" ]; then
	export PATH="$PRIVACY_PG_ROOT/usr/lib/postgresql/15/bin:$PATH"
	export PG_BINDIR="$PRIVACY_PG_ROOT/usr/lib/postgresql/15/bin"
fi
sharedir=$(pg_config --sharedir)
if [ ! -f "$sharedir/extension/citus.control" ]; then
	echo "citus: skipped: Citus is not installed"
	exit 0
fi

source "$root/test/harness/cluster.sh"
trap cluster_destroy_all EXIT
out=${CITUS_OUT:-$(mktemp -d /tmp/pg_privacy_citus.XXXXXX)}
mkdir -p "$out"

# w3 joins the cluster later, in checks_nodes.sh, and w4 in
# checks_maintenance.sh
for node in coord w1 w2 w3 w4; do
	cluster_create "$node" yes || { echo "citus: 0 passed, 1 failed"; exit 1; }
	{
		# Citus must be loaded first (it refuses to start otherwise)
		echo "shared_preload_libraries = 'citus,pg_privacy'"
		echo "max_prepared_transactions = 20"
		echo "citus.node_conninfo = 'sslmode=prefer'"
		echo "log_min_messages = warning"
		# the maintenance worker (collection, synchronization of stale
		# workers) is off until checks_maintenance.sh turns it on: the
		# checks before it prove the manual paths and the refusals
		echo "privacy.citus_maintenance_interval = 0"
		# Citus connects to its own node (reference table copies, shard
		# moves) by this name: the node's socket directory
		echo "citus.local_hostname = '${CLUSTER_DIR[$node]}/sock'"
	} >>"${CLUSTER_DIR[$node]}/data/postgresql.conf"
done
# one master key on every node: wrapped data keys are then usable everywhere
for node in w1 w2 w3 w4; do
	cp "${CLUSTER_DIR[coord]}/master.key" "${CLUSTER_DIR[$node]}/master.key"
	chown "$(cluster_server_user)" "${CLUSTER_DIR[$node]}/master.key"
	chmod 600 "${CLUSTER_DIR[$node]}/master.key"
done
for node in coord w1 w2 w3 w4; do
	cluster_start "$node" || { echo "citus: 0 passed, 1 failed"; exit 1; }
done

export CITUS_COORD_HOST=${CLUSTER_DIR[coord]}/sock
export CITUS_W1_HOST=${CLUSTER_DIR[w1]}/sock
export CITUS_W2_HOST=${CLUSTER_DIR[w2]}/sock
export CITUS_W3_HOST=${CLUSTER_DIR[w3]}/sock
export CITUS_W4_HOST=${CLUSTER_DIR[w4]}/sock
export PGPORT=$PRIVACY_PG_PORT PGUSER=$PRIVACY_TEST_SUPERUSER
bash "$here/checks.sh" "$out"
status=$?
for node in coord w1 w2 w3 w4; do
	cp "$(cluster_log "$node")" "$out/server-$node.log" 2>/dev/null || true
done
# no node may log a crash
crashes=$(grep -lE 'terminated by signal|server process .* was terminated|PANIC' "$out"/server-*.log 2>/dev/null | wc -l)
passed=$(grep -c '^ok ' "$out/checks.log")
failed=$(grep -c '^not ok ' "$out/checks.log")
if [ "$crashes" -eq 0 ]; then
	echo "ok - no node logged a crash"
	passed=$((passed + 1))
else
	echo "not ok - a node logged a crash"
	grep -hE -B3 'terminated by signal|PANIC' "$out"/server-*.log | head -20
	failed=$((failed + 1))
fi
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "citus: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
