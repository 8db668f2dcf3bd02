# 004_callback_slots.pl: pg_privacy coexists with libraries that use most of
# the process's limited invalidation-callback slots. PostgreSQL 15 has 10
# relcache-callback slots per process; Citus takes 5, and pg_privacy 0.1.0
# took 5 more, so with both preloaded every session died with "out of
# relcache_callback_list slots". pg_privacy now takes one (a dispatcher).
# A test library (modules/slot_hog.c, built here) takes 5, as Citus does.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $incdir = `pg_config --includedir-server`;
chomp $incdir;
my $moddir = PostgreSQL::Test::Utils::tempdir();
my $src = "$ENV{TESTDIR}/modules/slot_hog.c";
system("cc -shared -fPIC -O0 -I'$incdir' -o '$moddir/slot_hog.so' '$src'") == 0
	or BAIL_OUT('could not build the slot_hog test library');

my %orders = (hog_first => "'$moddir/slot_hog.so,pg_privacy'", privacy_first => "'pg_privacy,$moddir/slot_hog.so'");
for my $name (sort keys %orders) {
	my $order = $orders{$name};
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "shared_preload_libraries = $order");
	$node->start;
	my ($ret, $out, $err) = $node->psql('postgres', q{
		CREATE EXTENSION pg_privacy;
		CREATE ROLE slot_reader;
		CREATE TABLE t (id int, email text);
		INSERT INTO t VALUES (1, 'ann@example.org');
		GRANT SELECT ON t TO slot_reader;
		SELECT privacy.mask_column('t', 'email', 'privacy.mask_email(email)');
	});
	is($ret, 0, "sessions start and policies can be declared ($order)") or diag($err);
	my $masked = $node->safe_psql('postgres', q{SELECT privacy.mask_email('ann@example.org')});
	isnt($masked, 'ann@example.org', 'the mask changes the value');
	is($node->safe_psql('postgres', 'SET ROLE slot_reader; SELECT email FROM t'), $masked,
		"masking works in a new session ($order)");
	# a policy change is seen by an existing session through the dispatcher
	my $session = $node->background_psql('postgres');
	$session->query_safe('SET ROLE slot_reader');
	is($session->query_safe('SELECT email FROM t'), $masked, 'masked before the change');
	$node->safe_psql('postgres', q{SELECT privacy.unmask_column('t', 'email')});
	is($session->query_safe('SELECT email FROM t'), 'ann@example.org', 'the invalidation reached the cache');
	$session->quit;
	$node->stop;
}
done_testing();
