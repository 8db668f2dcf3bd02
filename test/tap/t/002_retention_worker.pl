# 002_retention_worker.pl: the purge background workers. Proves that
#  * the launcher serves every database with pg_privacy, including one
#    created after start, on its own (bounded polls, no fixed sleeps);
#  * kill -9 of a purge worker and of the postmaster in the middle of a
#    purge loses nothing: afterwards expired rows are gone after the next
#    cycle, every unexpired row and every held row is still there;
#  * a standby never runs the launcher or purges; after promotion it does.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_privacy'
privacy.purge_naptime = 1
privacy.purge_max_wal_rate = 0
max_worker_processes = 16
restart_after_crash = on
});
$node->start;

my $setup = q{
	CREATE EXTENSION pg_privacy;
	CREATE TABLE events (id int, created timestamptz, payload text);
	INSERT INTO events SELECT g, now() - (g % 100) * interval '1 day', 'p' || g FROM generate_series(1, 200000) g;
	SELECT privacy.place_hold('events', 'id % 1000 = 99', 'litigation');
};
$node->safe_psql('postgres', $setup);

# invariants: expired (outside holds) / unexpired / held
my $count_sql = q{SELECT count(*) FILTER (WHERE created < now() - interval '50 days' AND id % 1000 <> 99) || '/' ||
	count(*) FILTER (WHERE created >= now() - interval '49 days') || '/' || count(*) FILTER (WHERE id % 1000 = 99)
	FROM events};
my ($expired0, $unexpired0, $held0) = split m{/}, $node->safe_psql('postgres', $count_sql);
cmp_ok($expired0, '>', 0, 'there are expired rows to purge');

# a slow policy (rows per second ceiling) so that the kills land mid-purge
$node->safe_psql('postgres',
	q{SELECT privacy.set_retention('events', 'created', '50 days', batch_size => 2000, max_rows_per_second => 20000)});

ok($node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM privacy.purge_log WHERE via = 'worker' AND status = 'running' AND rows > 0}),
	'the worker starts purging on its own');

my $pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_privacy purge worker' LIMIT 1});
like($pid, qr/^\d+$/, 'a purge worker runs');
kill 'KILL', $pid;
# the postmaster reinitializes after a child crash; wait (bounded) until it serves again
my $up = 0;
for (1 .. 120) {
	my $ret = eval { $node->psql('postgres', 'SELECT 1', timeout => 5) };
	if (defined $ret && $ret == 0) { $up = 1; last; }
	select(undef, undef, undef, 0.5);
}
ok($up, 'the server restarts after the worker was killed');

sub invariants {
	my ($label) = @_;
	my ($e, $u, $h) = split m{/}, $node->safe_psql('postgres', $count_sql);
	is($u, $unexpired0, "$label: every unexpired row is still there");
	is($h, $held0, "$label: every held row is still there");
}
invariants('after kill -9 of the worker');

ok($node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM privacy.purge_log WHERE via = 'worker' AND status = 'running' AND rows > 0}),
	'the worker resumes purging');
my $pm = $node->{_pid};
$node->kill9;
# start again once the killed postmaster and its orphaned children are gone (bounded)
my $started = 0;
for (1 .. 60) {
	select(undef, undef, undef, 0.5);
	next if kill(0, $pm);
	if ($node->start(fail_ok => 1)) { $started = 1; last; }
}
ok($started, 'the server starts again after kill -9 of the postmaster');
invariants('after kill -9 of the postmaster');

ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM events WHERE created < now() - interval '50 days' AND id % 1000 <> 99}),
	'expired rows are gone after the next cycles');
invariants('after the purge');
is($node->safe_psql('postgres', q{SELECT count(*) FROM privacy.purge_log WHERE status = 'interrupted'}) > 0 ? 1 : 0,
	1, 'killed runs are marked interrupted');
# the run that removed the last rows may still be finishing: wait (bounded)
# until no worker run is left running, i.e. killed runs never stay "running"
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM privacy.purge_log WHERE status = 'running'
	AND via = 'worker' AND rows > 0}), 'no run is left running');

# a database created later is served without a restart
$node->safe_psql('postgres', 'CREATE DATABASE later');
$node->safe_psql('later', q{
	CREATE EXTENSION pg_privacy;
	CREATE TABLE t (id int, created timestamptz);
	INSERT INTO t SELECT g, now() - g * interval '1 day' FROM generate_series(1, 100) g;
	SELECT privacy.set_retention('t', 'created', '10 days');
});
ok($node->poll_query_until('later', q{SELECT count(*) FILTER (WHERE created < now() - interval '10 days') = 0
		AND count(*) = 9 FROM t}), 'a new database is purged without a restart');
# a database that drops the extension is no longer served, and can be dropped
$node->safe_psql('later', 'DROP EXTENSION pg_privacy');
$node->safe_psql('postgres', 'DROP DATABASE later');
pass('a database without the extension can be dropped');

# a standby never purges: the rows are held on the primary (so its own
# worker keeps them), the hold is released only after promotion
my $hold = $node->safe_psql('postgres', q{
	CREATE TABLE st (id int, created timestamptz);
	INSERT INTO st SELECT g, now() - g * interval '1 day' FROM generate_series(1, 100) g;
	SELECT privacy.place_hold('st', 'true', 'until promotion');
});
$node->safe_psql('postgres', q{SELECT privacy.set_retention('st', 'created', '10 days')});
$node->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'base', has_streaming => 1);
$standby->start;
$node->wait_for_catchup($standby);
is($standby->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'pg_privacy purge%'}),
	'0', 'no purge launcher or worker runs on the standby');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM st}), '100', 'the standby keeps the rows');
my ($ret) = $standby->psql('postgres', q{SELECT * FROM privacy.purge_now('st')});
isnt($ret, 0, 'purge_now is refused on the standby');
$standby->promote;
ok($standby->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'pg_privacy purge launcher'}),
	'the launcher starts after promotion');
$standby->safe_psql('postgres', "SELECT privacy.release_hold($hold)");
ok($standby->poll_query_until('postgres', q{SELECT count(*) FILTER (WHERE created < now() - interval '10 days') = 0
		AND count(*) = 9 FROM st}), 'the promoted standby purges');
is($node->safe_psql('postgres', q{SELECT count(*) FROM st}), '100', 'held rows stay on the old primary');

$standby->stop;
$node->stop;
done_testing();
