# 009_log_hygiene.pl (issue 20): an error raised while pg_privacy processes
# a protected value hides the statement AND its context from the server log.
# A PL/pgSQL function builds a nested statement that carries a card number
# as a literal (EXECUTE format(... %L ...)); when tokenize fails inside it,
# the server log gets the error without the CONTEXT line that would quote the
# nested statement, and without the STATEMENT line. Positive control: an
# ordinary error (division by zero) in the same nested statement shape does
# log the card number in its CONTEXT line, so the log would show it (the
# cluster runs with log_statement = 'none', as doc/operations.md advises;
# log_min_error_statement = error would log the STATEMENT).
# Also: import_key from a command leaves no key in the log or in
# pg_stat_activity.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('loghyg');
$node->init;
my $keyfile = $node->data_dir . '/../master.key';
open(my $fh, '>', $keyfile) or die;
print $fh join('', map { sprintf('%02x', int(rand(256))) } 1 .. 32), "\n";
close $fh;
chmod 0600, $keyfile;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_privacy'
privacy.master_key_file = '$keyfile'
log_min_error_statement = error
log_error_verbosity = default
log_statement = 'none'
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_privacy;
	SELECT privacy.create_key('default');
	CREATE FUNCTION tok_nested(pan text) RETURNS text LANGUAGE plpgsql AS $$
	DECLARE t text;
	BEGIN
		EXECUTE format('SELECT privacy.tokenize(%L, %L)', pan, 'card') INTO t;
		RETURN t;
	END $$;
	CREATE FUNCTION div_nested(pan text) RETURNS int LANGUAGE plpgsql AS $$
	DECLARE t int;
	BEGIN
		EXECUTE format('SELECT length(%L) / 0', pan) INTO t;
		RETURN t;
	END $$;
});

# the card numbers: distinct per case, so each log check looks for its own
my $pan_tok = '4929 3811 0047 296X';  # not a card number: tokenize raises 22P02
my $pan_div = '5105 1051 0510 5100';

my $log_offset = -s $node->logfile;
my ($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT tok_nested('$pan_tok')");
isnt($ret, 0, 'tokenize inside the nested statement failed');
like($stderr, qr/token format/, 'with the format error');
like($stderr, qr/\Q$pan_tok\E/, 'the client still gets the CONTEXT (only the server log hides it)');
($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT div_nested('$pan_div')");
isnt($ret, 0, 'positive control: the division failed');

# wait (bounded) until both errors are in the log
my $log = '';
for (1 .. 200) {
	$log = slurp_file($node->logfile, $log_offset);
	last if $log =~ /division by zero/ && $log =~ /token format/;
	usleep(50_000);
}
like($log, qr/division by zero/, 'the control error reached the log');
like($log, qr/\Q$pan_div\E/, 'positive control: an ordinary nested error logs the card number in its CONTEXT');
unlike($log, qr/\Q4929 3811 0047 296\E/, 'a pg_privacy error on a card number leaves no card number in the log');
like($log, qr/ERROR:  [^\n]*token format/, 'the pg_privacy error itself is logged');

# import_key from a command: the key is in no log line and no query text
my $hex = join('', map { sprintf('%02x', int(rand(256))) } 1 .. 32);
my $material = $node->data_dir . '/../material.key';
open(my $mf, '>', $material) or die;
print $mf "$hex\n";
close $mf;
chmod 0600, $material;
$node->safe_psql('postgres', qq{SET log_statement = 'all'; SELECT privacy.import_key('logkey', material_command => 'cat $material')});
my $activity = $node->safe_psql('postgres', q{SELECT string_agg(query, ' ') FROM pg_stat_activity});
unlike($activity, qr/$hex/i, 'the imported key is in no pg_stat_activity query');
unlike(slurp_file($node->logfile, $log_offset), qr/$hex/i, 'the imported key is not logged, even with log_statement = all');

$node->stop;
done_testing();
