# 005_durable_audit.pl: the disclosure audit queue under pressure. Proves
# that
#  * a rolled-back detokenization reaches privacy.audit_log on its own
#    (bounded poll, no fixed sleep), through the audit launcher and writer;
#  * a session that fetched detokenized values from a cursor and was then
#    terminated is recorded; so is a session idle in its transaction after
#    swallowing an error, and a DO block's value before its long statement;
#  * while the writer cannot write, records stay queued; when the queue
#    (privacy.audit_queue_size = 16) is full, detokenize is refused with
#    53400 and no value; once the writer can write again every queued record
#    is written, none lost, none twice.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('audit');
$node->init;
my $key_file = $node->data_dir . '/../master.key';
open(my $fh, '>', $key_file) or die "cannot write $key_file";
print $fh join('', map { sprintf('%02x', int(rand(256))) } 1 .. 32), "\n";
close($fh);
chmod 0600, $key_file;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_privacy'
privacy.master_key_file = '$key_file'
privacy.audit_queue_size = 16
privacy.purge_naptime = 3600
max_worker_processes = 16
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_privacy;
	SELECT privacy.create_key('default');
	CREATE TABLE pay (id int, card text);
	INSERT INTO pay SELECT 1, privacy.tokenize('4111111111111111', 'card');
	INSERT INTO pay SELECT 2, privacy.tokenize('5555555555554444', 'card');
	CREATE ROLE reader LOGIN;
	GRANT SELECT ON pay TO reader;
	SELECT privacy.grant_detokenize('reader', 'card');
});
my $detok_rows = q{SELECT coalesce(sum(value_count), 0) FROM privacy.audit_log WHERE action = 'detokenize'};

# a rolled-back detokenization
$node->safe_psql('postgres', q{BEGIN; SELECT privacy.detokenize(card, 'card') FROM pay; ROLLBACK;}, extra_params => ['-U', 'reader']);
ok($node->poll_query_until('postgres', "SELECT ($detok_rows) = 2"), 'a rolled-back detokenization is recorded');

# a terminated session that fetched from a cursor
my ($ret, $out, $err) = $node->psql('postgres', q{
	BEGIN;
	DECLARE c CURSOR FOR SELECT privacy.detokenize(card, 'card') FROM pay;
	FETCH 1 FROM c;
	SELECT pg_terminate_backend(pg_backend_pid());
}, extra_params => ['-U', 'reader']);
ok($node->poll_query_until('postgres', "SELECT ($detok_rows) = 3"), 'a terminated session\'s fetch is recorded');

# a session that swallowed an error after detokenizing and stays idle in
# its transaction is recorded while it waits
my $idle = $node->background_psql('postgres', extra_params => ['-U', 'reader']);
$idle->query_safe(q{BEGIN});
$idle->query_safe(q{DO $$BEGIN PERFORM privacy.detokenize(card, 'card') FROM pay; RAISE EXCEPTION 'x';
	EXCEPTION WHEN raise_exception THEN NULL; END$$});
ok($node->poll_query_until('postgres', "SELECT ($detok_rows) = 5"), 'an idle session\'s swallowed disclosure is recorded');
# values obtained in a DO block's simple expressions are recorded before a
# long statement that follows them
$idle->query_until(qr/started/, q{\echo started
DO $$DECLARE t text; v text; BEGIN SELECT card INTO t FROM pay WHERE id = 1;
	v := privacy.detokenize(t, 'card'); RAISE NOTICE 'length %', length(v); PERFORM pg_sleep(600); END$$;
});
ok($node->poll_query_until('postgres', "SELECT ($detok_rows) = 6"), 'a DO block\'s value is recorded before its long statement');
$node->safe_psql('postgres', q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE usename = 'reader'});
$idle->{run}->kill_kill;

# the writer cannot write: a constraint refuses detokenize rows
$node->safe_psql('postgres', q{
	ALTER TABLE privacy.audit_log ADD CONSTRAINT tap_block CHECK (action <> 'detokenize') NOT VALID;
});
my $refused = 0;
my $accepted = 0;
my $leaked = 0;
for my $i (1 .. 20) {
	my ($r, $o, $e) = $node->psql('postgres', q{SELECT privacy.detokenize(card, 'card') FROM pay WHERE id = 1},
		extra_params => ['-U', 'reader']);
	if ($r == 0) { $accepted++; }
	elsif ($e =~ /audit queue is full/) { $refused++; }
	$leaked++ if $e =~ /4111/;
}
is($accepted, 16, 'the queue holds 16 records');
is($refused, 4, 'further disclosures are refused while the queue is full');
is($leaked, 0, 'refusals show no value');
my ($r, $o, $e) = $node->psql('postgres', q{\set VERBOSITY verbose
SELECT privacy.detokenize(card, 'card') FROM pay WHERE id = 1}, extra_params => ['-U', 'reader']);
like($e, qr/53400/, 'the refusal has SQLSTATE 53400');
is($node->safe_psql('postgres', $detok_rows), '6', 'nothing was written while the writer was blocked');

# the writer can write again: everything queued arrives once
$node->safe_psql('postgres', q{ALTER TABLE privacy.audit_log DROP CONSTRAINT tap_block});
ok($node->poll_query_until('postgres', "SELECT ($detok_rows) = 22"), 'every queued record is written after the block');
ok($node->poll_query_until('postgres', q{SELECT privacy.audit_wait('1 second')}), 'the queue is drained');
is($node->safe_psql('postgres', $detok_rows), '22', 'no record written twice');
($r, $o, $e) = $node->psql('postgres', q{SELECT length(privacy.detokenize(card, 'card')) FROM pay WHERE id = 1},
	extra_params => ['-U', 'reader']);
is($r, 0, 'disclosure works again once the queue drains');

$node->stop;
done_testing();
