# 006_family_holds_worker.pl: the purge worker's partition dropping
# (ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY as top-level statements)
# with a legal hold placed on one partition (issue 15). Proves that
#  * the worker drops the expired partitions without held rows, keeps the
#    one whose rows a hold placed on that partition protects (its unheld
#    rows are purged), and never logs a failed detach;
#  * the hold, its triggers on the remaining partitions and the held row
#    survive, and retention_status counts the held row through the root.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('families');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_privacy'
privacy.purge_naptime = 1
privacy.purge_max_wal_rate = 0
max_worker_processes = 16
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_privacy;
	CREATE TABLE ev (id int, created timestamptz NOT NULL) PARTITION BY RANGE (created);
	CREATE TABLE ev_2000 PARTITION OF ev FOR VALUES FROM ('2000-01-01') TO ('2001-01-01');
	CREATE TABLE ev_2001 PARTITION OF ev FOR VALUES FROM ('2001-01-01') TO ('2002-01-01');
	CREATE TABLE ev_2002 PARTITION OF ev FOR VALUES FROM ('2002-01-01') TO ('2003-01-01');
	CREATE TABLE ev_now PARTITION OF ev FOR VALUES FROM ('2003-01-01') TO (MAXVALUE);
	INSERT INTO ev SELECT g, '2000-01-01'::timestamptz + (g % 1000) * interval '1 day' FROM generate_series(1, 3000) g;
	INSERT INTO ev VALUES (9999, now());
	SELECT privacy.place_hold('ev_2001', 'id = 500', 'keep 500');
	SELECT privacy.set_retention('ev', 'created', '1 year');
});

ok($node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM privacy.purge_log WHERE via = 'worker' AND status = 'done'}),
	'the worker completes a run on its own');

is($node->safe_psql('postgres', q{SELECT method || '/' || partitions_dropped FROM privacy.purge_log
		WHERE via = 'worker' AND status = 'done' ORDER BY id LIMIT 1}),
	'partition_drop/2', 'the two expired partitions without held rows were dropped');
is($node->safe_psql('postgres', q{SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class
		WHERE relname LIKE 'ev%' AND relkind IN ('r', 'p')}),
	'ev,ev_2001,ev_now', 'the partition with the held row was kept');
is($node->safe_psql('postgres', q{SELECT string_agg(id::text, ',' ORDER BY id) FROM ev}),
	'500,9999', 'its unheld rows were purged, the held and the unexpired row stay');
is($node->safe_psql('postgres', q{SELECT rows_held || '/' || rows_expired FROM privacy.retention_status}),
	'1/0', 'retention_status counts the held row through the root');
is($node->safe_psql('postgres', q{SELECT count(*) FROM privacy.legal_holds WHERE active}),
	'1', 'the hold is still active');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'privacy_hold%'}),
	'4', 'the remaining partitions carry the hold triggers');
my $log = slurp_file($node->logfile);
unlike($log, qr/could not detach a partition/, 'no detach failed');
unlike($log, qr/TRAP|terminated by signal/, 'no crash');

$node->stop;
done_testing();
