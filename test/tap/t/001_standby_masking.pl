# 001_standby_masking.pl: masking holds on a streaming replica. The
# policies live in replicated tables, the standby preloads pg_privacy, and a
# masked role querying the standby sees masks (and can change nothing).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_privacy'");
$primary->start;
$primary->safe_psql('postgres', q{
	CREATE EXTENSION pg_privacy;
	CREATE TABLE customer (id int PRIMARY KEY, ssn text);
	INSERT INTO customer VALUES (1, 'CANARY-' || '57A4DB01');
	SELECT privacy.mask_column('customer', 'ssn', 'privacy.redact(ssn)');
	CREATE ROLE standby_reader LOGIN;
	GRANT SELECT ON customer TO standby_reader;
});
$primary->backup('base');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'standby is in recovery');
is($standby->safe_psql('postgres', 'SELECT ssn FROM customer', extra_params => ['-U', 'standby_reader']),
	'[REDACTED]', 'masked role sees the mask on the standby');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM customer WHERE ssn LIKE 'CANARY-%'},
		extra_params => ['-U', 'standby_reader']),
	'0', 'filters on the standby see the mask');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM customer WHERE ssn LIKE 'CANARY-%'}),
	'1', 'the superuser sees raw data on the standby');

# a policy change on the primary reaches the standby's running backends
$primary->safe_psql('postgres', q{SELECT privacy.grant_unmasked('standby_reader')});
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', q{SELECT count(*) FROM customer WHERE ssn LIKE 'CANARY-%'},
		extra_params => ['-U', 'standby_reader']),
	'1', 'an exemption granted on the primary applies on the standby');
$primary->safe_psql('postgres', q{SELECT privacy.revoke_unmasked('standby_reader')});
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', 'SELECT ssn FROM customer', extra_params => ['-U', 'standby_reader']),
	'[REDACTED]', 'a revoked exemption is masked again on the standby');

# policy DDL is refused on the standby (read-only), nothing changes
my ($ret, $stdout, $stderr) = $standby->psql('postgres', q{SELECT privacy.unmask_column('customer', 'ssn')});
isnt($ret, 0, 'policy changes are refused on the standby');
like($stderr, qr/read-only transaction|recovery/, 'refused because the standby is read-only');

$standby->stop;
$primary->stop;
done_testing();
