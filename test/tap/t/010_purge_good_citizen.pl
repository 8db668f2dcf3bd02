# 010_purge_good_citizen.pl: the purge worker yields to the live workload
# (issue 15, retention p99 under load). Proves that
#  * a purge worker runs at the postmaster's nice value plus
#    privacy.purge_nice (7 here), while the launcher keeps the postmaster's;
#    a reload that raises the setting reaches the running worker;
#  * privacy.purge_batch_time bounds a worker's batches in time (1 ms: many
#    more batches than the row batch size gives), while purge_now keeps row
#    batches;
#  * a partition detach whose lock is not available (another session holds
#    SHARE UPDATE EXCLUSIVE on the parent) is retried, then given up
#    cleanly: the run ends skipped, retention_status shows the reason, the
#    partition stays attached and nothing of it is deleted in that run;
#  * a lock holder cannot keep expired rows: when the next run cannot lock
#    the partition either, it deletes its expired rows (and says so);
#  * once the lock is released a cycle drops the partition (positive
#    control), the live row stays;
#  * purge_now's ACCESS EXCLUSIVE DETACH behind a reader gives up after
#    its short attempts and deletes the partition's rows instead of failing;
#    without the reader it drops the partitions.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('citizen');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_privacy'
privacy.purge_naptime = 1
privacy.purge_max_wal_rate = 0
privacy.purge_nice = 7
privacy.purge_partition_lock_timeout = 20
max_worker_processes = 16
});
$node->start;

# nice_of PID: the nice value of a process (field 19 of /proc/PID/stat)
sub nice_of {
	my ($pid) = @_;
	my $stat = slurp_file("/proc/$pid/stat");
	$stat =~ s/^.*\)\s+//s;    # the command name may hold spaces
	my @f = split /\s+/, $stat;
	return $f[16];             # fields from 3 on: nice is field 19
}
my $postmaster = (split /\n/, slurp_file($node->data_dir . '/postmaster.pid'))[0];
my $base = nice_of($postmaster);
my $want = $base + 7 > 19 ? 19 : $base + 7;

# --- priority: a slow run keeps the worker alive (20 rows/s, 10 per batch)
$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_privacy;
	CREATE TABLE slow (id int, created timestamptz NOT NULL);
	INSERT INTO slow SELECT g, now() - interval '10 days' FROM generate_series(1, 2000) g;
	SELECT privacy.set_retention('slow', 'created', '1 day', batch_size => 10, max_rows_per_second => 20);
});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM privacy._purge_log
		WHERE relid = 'slow'::regclass AND status = 'running' AND rows > 0}), 'the worker purges the slow table');
my $worker = $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_privacy purge worker'});
my $launcher = $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_privacy purge launcher'});
like($worker, qr/^\d+$/, 'one purge worker runs');
is(nice_of($worker), $want, 'the worker runs at the postmaster\'s nice value plus privacy.purge_nice');
is(nice_of($launcher), $base, 'the launcher keeps the postmaster\'s nice value');
$node->safe_psql('postgres', q{ALTER SYSTEM SET privacy.purge_nice = 12; SELECT pg_reload_conf();});
my $want2 = $base + 12 > 19 ? 19 : $base + 12;
my $seen;
for (1 .. 100) {
	$seen = nice_of($worker);
	last if $seen == $want2;
	usleep(100_000);
}
is($seen, $want2, 'a reload that raises privacy.purge_nice reaches the running worker');
# pause the worker (set_retention must not wait behind the lock taken below)
$node->safe_psql('postgres', q{SELECT privacy.drop_retention('slow');
	ALTER SYSTEM SET privacy.purge_naptime = 3600; SELECT pg_reload_conf();
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'pg_privacy purge worker';});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity
		WHERE backend_type = 'pg_privacy purge worker'}), 'no worker runs');

# --- privacy.purge_batch_time: batches shrink to the time bound (1 ms: far
# below what a 10,000-row batch takes), so the same rows take many more
# batches than privacy.purge_batch_size alone gives; purge_now keeps row
# batches (negative control)
$node->safe_psql('postgres', q{
	CREATE TABLE timed (id int, created timestamptz NOT NULL, pad text);
	INSERT INTO timed SELECT g, now() - interval '10 days', repeat('x', 40) FROM generate_series(1, 30000) g;
	CREATE TABLE timed_now (LIKE timed);
	INSERT INTO timed_now SELECT * FROM timed;
	VACUUM ANALYZE timed, timed_now;
	SELECT privacy.set_retention('timed_now', 'created', '1 day');
});
$node->safe_psql('postgres', q{ALTER SYSTEM SET privacy.purge_naptime = 3600; ALTER SYSTEM SET privacy.purge_batch_time = 1;
	SELECT pg_reload_conf();});
is($node->safe_psql('postgres', q{SELECT batches FROM privacy.purge_now('timed_now')}), '3',
	'purge_now: 30,000 rows in batches of 10,000 rows whatever privacy.purge_batch_time');
$node->safe_psql('postgres', q{SELECT privacy.set_retention('timed', 'created', '1 day');
	ALTER SYSTEM SET privacy.purge_naptime = 1; SELECT pg_reload_conf();});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM privacy._purge_log
		WHERE relid = 'timed'::regclass AND status = 'done' AND rows = 30000}), 'the worker purges the table');
ok($node->safe_psql('postgres', q{SELECT batches FROM privacy._purge_log WHERE relid = 'timed'::regclass
		AND status = 'done'}) > 6, 'in batches bounded in time: more than twice as many');
$node->safe_psql('postgres', q{SELECT privacy.drop_retention('timed'); SELECT privacy.drop_retention('timed_now');
	ALTER SYSTEM RESET privacy.purge_batch_time; SELECT pg_reload_conf();});

# --- a partition whose lock is not available is left for the next cycle
$node->safe_psql('postgres', q{
	CREATE TABLE ev (id int, created timestamptz NOT NULL) PARTITION BY RANGE (created);
	CREATE TABLE ev_old PARTITION OF ev FOR VALUES FROM ('2000-01-01') TO ('2001-01-01');
	CREATE TABLE ev_now PARTITION OF ev FOR VALUES FROM ('2001-01-01') TO (MAXVALUE);
	INSERT INTO ev SELECT g, '2000-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 100) g;
	INSERT INTO ev VALUES (0, now());
});
$node->safe_psql('postgres', q{SELECT privacy.set_retention('ev', 'created', '1 year')});
# the lock a VACUUM, ANALYZE or CREATE INDEX CONCURRENTLY of the parent holds
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN');
$locker->query_safe('LOCK TABLE ev IN SHARE UPDATE EXCLUSIVE MODE');
# a cycle every 5 s: a run gives up after about 1.6 s, so the state between
# two runs can be seen
$node->safe_psql('postgres', q{ALTER SYSTEM SET privacy.purge_naptime = 5; SELECT pg_reload_conf();});
ok($node->poll_query_until('postgres', q{SELECT last_run_status || ': ' || last_error LIKE
		'skipped: 55P03: an expired partition was left for the next cycle: its lock was not available in 5 attempts%'
		FROM privacy.retention_status WHERE table_name = 'ev'::regclass}),
	'the run gives up on the locked partition: retention_status shows why');
is($node->safe_psql('postgres', q{SELECT status || ' / ' || partitions_dropped || ' / ' || rows FROM privacy._purge_log
		WHERE relid = 'ev'::regclass AND status <> 'running' ORDER BY id LIMIT 1}),
	'skipped / 0 / 0', 'it ends skipped, having dropped and deleted nothing');
is($node->safe_psql('postgres', q{SELECT c.relispartition::text || ' / ' || i.inhdetachpending::text
		FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid WHERE c.oid = 'ev_old'::regclass}),
	'true / false', 'the partition stays attached');
my $log = slurp_file($node->logfile);
like($log, qr/left an expired partition of table "public\.ev" for the next cycle/, 'the log says so');
unlike($log, qr/could not detach a partition/, 'no fallback to deleting its rows in that run');
# a lock holder cannot keep expired rows: the next run deletes them
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM privacy._purge_log
		WHERE relid = 'ev'::regclass AND status = 'done' AND rows = 100 AND partitions_dropped = 0}),
	'when the next run cannot lock it either, it deletes the partition\'s expired rows');
like(slurp_file($node->logfile), qr/could not lock an expired partition of table "public\.ev" in two cycles; deleting its rows instead/,
	'and says so');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ev_old}), '0', 'the expired rows are gone');
$locker->query_safe('COMMIT');
$locker->quit;
ok($node->poll_query_until('postgres', q{SELECT to_regclass('ev_old') IS NULL}),
	'once the lock is released, a cycle drops the partition');
# the drop commits before the run's log row is closed: wait for the row
ok($node->poll_query_until('postgres', q{SELECT status || ' / ' || partitions_dropped FROM privacy._purge_log
		WHERE relid = 'ev'::regclass AND status <> 'running' ORDER BY id DESC LIMIT 1}, 'done / 1'),
	'that run is done');
is($node->safe_psql('postgres', q{SELECT string_agg(id::text, ',') FROM ev}), '0', 'the live row stays');
# --- purge_now's plain DETACH locks the parent ACCESS EXCLUSIVE: behind a
# reader it waits at most 20 ms per attempt (5 attempts), then deletes the
# partition's expired rows instead of failing (0.1.0 waited 1 s and failed
# with 55P03); without the reader the partition is dropped (positive control)
$node->safe_psql('postgres', q{ALTER SYSTEM SET privacy.purge_naptime = 3600; SELECT pg_reload_conf();
	CREATE TABLE pn (id int, created timestamptz NOT NULL) PARTITION BY RANGE (created);
	CREATE TABLE pn_old PARTITION OF pn FOR VALUES FROM ('2000-01-01') TO ('2001-01-01');
	CREATE TABLE pn_older PARTITION OF pn FOR VALUES FROM ('1999-01-01') TO ('2000-01-01');
	CREATE TABLE pn_now PARTITION OF pn FOR VALUES FROM ('2001-01-01') TO (MAXVALUE);
	INSERT INTO pn SELECT g, '2000-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 10) g;
	INSERT INTO pn VALUES (0, now());
	SELECT privacy.set_retention('pn', 'created', '1 year');});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity
		WHERE backend_type = 'pg_privacy purge worker'}), 'no worker runs');
my $reader = $node->background_psql('postgres');
$reader->query_safe('BEGIN');
$reader->query_safe('SELECT count(*) FROM pn');
is($node->safe_psql('postgres', q{SET lock_timeout = '10s';
		SELECT status || ' / ' || rows_purged || ' / ' || partitions_dropped FROM privacy.purge_now('pn')}),
	'done / 10 / 0', 'purge_now behind a reader: the rows are deleted, no partition dropped, no error');
$reader->query_safe('COMMIT');
$reader->quit;
is($node->safe_psql('postgres', q{SELECT status || ' / ' || rows_purged || ' / ' || partitions_dropped
		FROM privacy.purge_now('pn')}),
	'done / 0 / 2', 'without the reader both expired partitions are dropped');
is($node->safe_psql('postgres', q{SELECT string_agg(id::text, ',') FROM pn}), '0', 'the live row stays');

unlike(slurp_file($node->logfile), qr/TRAP|terminated by signal/, 'no crash');

$node->stop;
done_testing();
