# 011_extension_identity.pl: pg_privacy's catalog is what extension
# pg_privacy holds (src/pg/catalog/extension_schema.hpp), and every backend
# follows changes of that membership at once. ALTER EXTENSION ... ADD/DROP
# change only pg_depend, which no catalog cache follows: the object-access
# hook sends a relcache invalidation of pg_extension, which an idle session
# with warm caches must process (red team 5 F1).
# Probe: privacy.purpose is checked against privacy._purpose while that
# table is pg_privacy's; a role without purposes cannot declare one then.
# Also: look-alike schemas made in a database without the extension, while
# a session there is open and has looked for the catalog, stay ignored.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('identity');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_privacy'");
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_privacy;
	CREATE ROLE reader LOGIN;
});

my $session = $node->background_psql('postgres', extra_params => ['-U', 'reader'], on_error_stop => 0);
# the purpose the session ends up with: '' when the SET was refused
my $declare = q{SET privacy.purpose = 'nosuchpurpose'; SELECT 'purpose=' || current_setting('privacy.purpose'); RESET privacy.purpose;};
like($session->query($declare), qr/^purpose=$/m, 'warm session: an unknown purpose is refused');

$node->safe_psql('postgres', 'ALTER EXTENSION pg_privacy DROP TABLE privacy._purpose');
like($session->query($declare), qr/^purpose=nosuchpurpose$/m,
	'another session took privacy._purpose out of the extension: no longer its catalog here');

$node->safe_psql('postgres', 'ALTER EXTENSION pg_privacy ADD TABLE privacy._purpose');
like($session->query($declare), qr/^purpose=$/m, 'added back: checked again');
$session->quit;

# a database without the extension: a warm session of its victim, then the
# owner's look-alike catalog (a mask over the victim's column)
$node->safe_psql('postgres', q{
	CREATE ROLE dbown LOGIN;
	CREATE ROLE vic LOGIN;
	CREATE DATABASE plain OWNER dbown;
});
$node->safe_psql('plain', q{CREATE SCHEMA vic AUTHORIZATION vic});
$node->safe_psql('plain', q{
	CREATE TABLE vic.data(id int, email text);
	INSERT INTO vic.data VALUES (1, 'v@example.com');
}, extra_params => ['-U', 'vic']);
my $victim = $node->background_psql('plain', extra_params => ['-U', 'vic'], on_error_stop => 0);
is($victim->query(q{SELECT email FROM vic.data}), 'v@example.com', 'victim reads its row');
$node->safe_psql('plain', q{
	CREATE SCHEMA privacy;
	CREATE SCHEMA privacy_expr;
	CREATE TABLE privacy._column_policy(relid oid, column_name name, mask text, declared_mask text,
		declared_by name, declared_at timestamptz, mask_function oid);
	CREATE TABLE privacy._unmasked(role oid, relid oid, column_name name);
	CREATE TABLE privacy._governed_table(relid oid, by_privacy bool);
	CREATE FUNCTION privacy_expr.m(email text) RETURNS text LANGUAGE sql STABLE RETURN 'owned';
	INSERT INTO privacy._column_policy
	SELECT c.oid, 'email', 'email', 'email', 'x', now(), 'privacy_expr.m(text)'::regprocedure
	FROM pg_class c WHERE c.relname = 'data' AND c.relnamespace = 'vic'::regnamespace;
}, extra_params => ['-U', 'dbown']);
is($victim->query(q{SELECT email FROM vic.data}), 'v@example.com',
	'warm victim session: the look-alike mask is not applied');
is($node->safe_psql('plain', q{SELECT email FROM vic.data}, extra_params => ['-U', 'vic']),
	'v@example.com', 'new victim session: not applied either');
$victim->quit;

$node->stop;
done_testing();
