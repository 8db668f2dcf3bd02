# 003_invalidation_callbacks.pl: the library's invalidation callbacks run in
# every process that loaded it, including the autovacuum launcher and the
# purge launcher, which have no database and must never read a catalog. A
# relcache invalidation of a shared catalog (here: ANALYZE pg_authid after
# its row count changed) reaches those processes; a callback that read a
# catalog there killed them with FATAL, and the postmaster then restarted
# the whole cluster.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('inval');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'pg_privacy'\nautovacuum_naptime = 1\nprivacy.purge_naptime = 1\nlog_min_messages = debug1");
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_privacy;
	CREATE TABLE t (id int, subject text);
	SELECT privacy.create_purpose('p', 'test');
	SELECT privacy.require_consent('t', 'subject', 'p');
	SELECT privacy.mask_column('t', 'subject', 'privacy.redact(subject)');
});
my $launchers = q{SELECT string_agg(backend_type || ':' || pid, ',' ORDER BY backend_type)
	FROM pg_stat_activity WHERE backend_type IN ('autovacuum launcher', 'pg_privacy purge launcher')};
my $before = $node->safe_psql('postgres', $launchers);
like($before, qr/autovacuum launcher:\d+,pg_privacy purge launcher:\d+/, 'both launchers run');

for my $round (1 .. 3) {
	$node->safe_psql('postgres', qq{
		DO \$\$ BEGIN FOR i IN 1..20 LOOP EXECUTE format('CREATE ROLE inval_${round}_%s', i); END LOOP; END \$\$;
		ANALYZE pg_authid;
		SELECT count(*) FROM t;
	});
	# enough invalidations to overflow the queue, so idle processes catch up now
	$node->safe_psql('postgres', q{
		DO $$ BEGIN FOR i IN 1..2000 LOOP EXECUTE 'CREATE TEMP TABLE tt (i int)'; EXECUTE 'DROP TABLE tt'; END LOOP; END $$;
	});
}
# wait (bounded) until both launchers have run a cycle, and so processed the
# invalidations, after the storm: the purge launcher logs each scan, the
# autovacuum launcher starts a worker that logs the database it processes
my %pid = map { split /:/ } split /,/, $before;
my $offset = -s $node->logfile;
$node->safe_psql('postgres', 'SELECT count(*) FROM pg_class');
ok($node->wait_for_log(qr/\[$pid{'pg_privacy purge launcher'}\] DEBUG:  pg_privacy purge launcher scanned/, $offset),
	'the purge launcher ran a cycle after the invalidations');
ok($node->wait_for_log(qr/DEBUG:  autovacuum: processing database/, $offset),
	'the autovacuum launcher ran a cycle after the invalidations');
is($node->safe_psql('postgres', $launchers), $before, 'the launchers survived shared-catalog invalidations');
my $log = slurp_file($node->logfile);
unlike($log, qr/cannot read pg_class without having selected a database/, 'no catalog access without a database');
unlike($log, qr/terminating any other active server processes/, 'no crash restart');
is($node->safe_psql('postgres', 'SELECT count(*) FROM t'), '0', 'policies still work afterwards');

$node->stop;
done_testing();
