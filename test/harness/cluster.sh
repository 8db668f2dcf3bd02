#!/usr/bin/env bash
# cluster.sh: throwaway PostgreSQL clusters for tests, the demo and benchmarks.
# Source it, then:
#   cluster_create NAME [preload] [master_key]
#                                   initdb + config into a fresh temp dir;
#                                   master_key = yes|no (default yes) writes a
#                                   random tokenization master key file
#   cluster_start NAME / cluster_stop NAME / cluster_destroy NAME
#   cluster_psql NAME [psql args]   psql as the cluster superuser ($PRIVACY_TEST_SUPERUSER)
# Each cluster lives in its own directory, listens only on a Unix socket in
# that directory (no TCP port, so nothing on the machine can collide), and
# runs as a non-root user: PostgreSQL refuses to run as root, and CI runs as
# root. The caller registers cluster_destroy_all in an EXIT trap so clusters
# are stopped and removed even when a suite fails.

PG_BINDIR=${PG_BINDIR:-$(pg_config --bindir)}
PRIVACY_PG_PORT=${PRIVACY_PG_PORT:-54329}
# the clusters' superuser; the shifted pass of run-all.sh uses another name
# so that no test depends on it
PRIVACY_TEST_SUPERUSER=${PRIVACY_TEST_SUPERUSER:-postgres}
declare -gA CLUSTER_DIR=()

# cluster_server_user prints the OS user that runs servers.
cluster_server_user() {
	if [ "$(id -u)" -ne 0 ]; then
		id -un
		return
	fi
	if ! id postgres >/dev/null 2>&1; then
		useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
	fi
	echo postgres
}

# as_server_user runs a command as the server user.
as_server_user() {
	local user
	user=$(cluster_server_user)
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$user" -- "$@"
	else
		"$@"
	fi
}

# cluster_create makes a new cluster NAME; preload = yes|no (default yes).
cluster_create() {
	local name=$1 preload=${2:-yes} master_key=${3:-yes} dir user
	user=$(cluster_server_user)
	dir=${CLUSTER_BASE_DIR:-}
	if [ -z "$dir" ]; then
		dir=$(mktemp -d "/tmp/pg_privacy_${name}.XXXXXX")
	else
		rm -rf "$dir"
		mkdir -p "$dir"
	fi
	chmod 755 "$dir"
	mkdir -p "$dir/sock"
	chown -R "$user" "$dir"
	CLUSTER_DIR[$name]=$dir
	as_server_user "$PG_BINDIR/initdb" -D "$dir/data" -U "$PRIVACY_TEST_SUPERUSER" --auth=trust -E UTF8 --locale=C.UTF-8 \
		--no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		return 1
	}
	{
		echo "listen_addresses = ''"
		echo "port = $PRIVACY_PG_PORT"
		echo "unix_socket_directories = '$dir/sock'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "max_worker_processes = 16"
		echo "log_line_prefix = '%m [%p] %q%u@%d '"
		echo "lc_messages = 'C'"
		if [ "$preload" = yes ]; then
			# pg_stat_statements first: pg_privacy must chain hooks, never demand to be first
			echo "shared_preload_libraries = 'pg_stat_statements,pg_privacy'"
			# suites call privacy.purge_now(); a purge worker starting a run on
			# the same table meanwhile would make their output vary (the TAP
			# tests cover the workers with their own clusters)
			echo "privacy.purge_naptime = ${PRIVACY_PURGE_NAPTIME:-3600}"
		fi
	} >>"$dir/data/postgresql.conf"
	if [ "$master_key" = yes ]; then
		cluster_write_master_key "$dir/master.key"
		echo "privacy.master_key_file = '$dir/master.key'" >>"$dir/data/postgresql.conf"
	fi
}

# cluster_write_master_key FILE writes a random tokenization master key (64
# hexadecimal characters and a newline) owned by the server user, mode 0600.
cluster_write_master_key() {
	local file=$1 user
	user=$(cluster_server_user)
	(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$file" && echo >>"$file")
	chown "$user" "$file"
	chmod 600 "$file"
}

# cluster_start starts NAME and waits until it accepts connections.
cluster_start() {
	local dir=${CLUSTER_DIR[$1]}
	as_server_user "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
		cat "$dir/server.log" >&2
		return 1
	}
}

# cluster_stop stops NAME if it runs.
cluster_stop() {
	local dir=${CLUSTER_DIR[$1]:-}
	[ -n "$dir" ] && [ -f "$dir/data/postmaster.pid" ] || return 0
	as_server_user "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
		as_server_user "$PG_BINDIR/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
}

# cluster_destroy stops NAME and removes its directory.
cluster_destroy() {
	local dir=${CLUSTER_DIR[$1]:-}
	cluster_stop "$1"
	[ -n "$dir" ] && rm -rf "$dir"
	unset "CLUSTER_DIR[$1]"
}

# cluster_destroy_all is the EXIT trap.
cluster_destroy_all() {
	local name
	for name in "${!CLUSTER_DIR[@]}"; do
		cluster_destroy "$name"
	done
}

# cluster_env prints PGHOST/PGPORT/PGUSER assignments for NAME.
cluster_env() {
	echo "PGHOST=${CLUSTER_DIR[$1]}/sock PGPORT=$PRIVACY_PG_PORT PGUSER=$PRIVACY_TEST_SUPERUSER"
}

# cluster_psql runs psql against NAME as the cluster superuser.
cluster_psql() {
	local name=$1
	shift
	PGHOST=${CLUSTER_DIR[$name]}/sock PGPORT=$PRIVACY_PG_PORT PGUSER=$PRIVACY_TEST_SUPERUSER \
		"$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -q "$@"
}

# cluster_log prints the server log path of NAME.
cluster_log() {
	echo "${CLUSTER_DIR[$1]}/server.log"
}
