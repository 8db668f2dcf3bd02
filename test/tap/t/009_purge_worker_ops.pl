# 009_purge_worker_ops.pl: what a DBA sees of the purge workers (issue 21
# point 7, red-team low on stalls). Proves that
#  * a worker run that deletes rows writes one LOG line naming the table,
#    the rows and the duration, and never a row value;
#  * worker runs that change nothing leave no purge log entry (the run
#    sequence moves on, the log does not grow);
#  * privacy.purge_log_retention prunes finished entries older than it,
#    keeps younger ones and the newest entry of each table with a policy,
#    and -1 keeps everything (negative control);
#  * an owner's trigger that sleeps in a purge batch is cancelled at
#    privacy.purge_statement_timeout: the run is recorded as failed
#    ("stalled", in retention_status and the log) and the next table is
#    purged; once the trigger is gone the table is purged (positive
#    control); a trigger that catches the cancellation ends the worker at
#    twice the timeout, its run is recorded as failed, the others go on.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('ops');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_privacy'
privacy.purge_naptime = 1
privacy.purge_max_wal_rate = 0
privacy.purge_statement_timeout = 1000
max_worker_processes = 16
});
$node->start;

# --- one LOG line per run that deleted rows, no values
$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_privacy;
	CREATE TABLE logged (id int, created timestamptz, secret text);
	INSERT INTO logged SELECT g, now() - g * interval '1 day', 'canary-' || g FROM generate_series(1, 100) g;
	SELECT privacy.set_retention('logged', 'created', '10 days', batch_size => 20);
});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 9 FROM logged}), 'the worker purges the table');
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM privacy.purge_log WHERE table_name = 'logged'::regclass
		AND status = 'done'}), 'its run is logged as done');
my $log = slurp_file($node->logfile);
my @lines = ($log =~ /^.*pg_privacy purge of table "public\.logged" done: 91 rows deleted in \d+\.\d{3} s.*$/mg);
is(scalar(@lines), 1, 'one LOG line with the table, the rows and the duration');
# (the test's own statements are logged with their text: leave them out)
is(scalar(grep { !/statement:|^\s/ } grep { /canary-/ } split /\n/, $log), 0, 'no row value in the server log');

# --- empty runs leave no entry
# (a run in progress has its entry until it ends: count finished runs)
my $entries = $node->safe_psql('postgres', q{SELECT count(*) FROM privacy._purge_log WHERE status <> 'running'});
my $audit = $node->safe_psql('postgres', q{SELECT count(*) FROM privacy.audit_log});
my $seq = $node->safe_psql('postgres', q{SELECT last_value FROM privacy._purge_log_id_seq});
ok($node->poll_query_until('postgres', qq{SELECT last_value >= $seq + 3 FROM privacy._purge_log_id_seq}),
	'the worker keeps starting runs every naptime');
is($node->safe_psql('postgres', q{SELECT count(*) FROM privacy._purge_log WHERE status <> 'running'}), $entries,
	'runs that changed nothing leave no purge log entry');
is($node->safe_psql('postgres', q{SELECT count(*) FROM privacy.audit_log}), $audit, 'nor audit rows');
# purge_now on a table the worker is purging would be "busy": pause the worker
$node->safe_psql('postgres', q{ALTER SYSTEM SET privacy.purge_naptime = 3600; SELECT pg_reload_conf();});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity
		WHERE backend_type = 'pg_privacy purge worker'}), 'no worker runs');
is($node->safe_psql('postgres', q{SELECT status FROM privacy.purge_now('logged')}), 'done', 'purge_now runs');
is($node->safe_psql('postgres', q{SELECT count(*) FROM privacy._purge_log WHERE status <> 'running'}), $entries + 1,
	'a purge_now run is logged even when it changed nothing');

# --- pruning
my $fake = q{INSERT INTO privacy._purge_log (relid, table_name, via, status, started, finished, cutoff, action, method, rows, targets)
	VALUES ('logged'::regclass, 'logged', 'worker', 'done', now() - interval '%1$s', now() - interval '%1$s', now(), 'delete',
	        'ctid_sweep', 5, '{}')};
$node->safe_psql('postgres', q{ALTER SYSTEM SET privacy.purge_log_retention = -1; ALTER SYSTEM SET privacy.purge_naptime = 1;
	SELECT pg_reload_conf();});
$node->safe_psql('postgres', sprintf($fake, '100 days'));
$seq = $node->safe_psql('postgres', q{SELECT last_value FROM privacy._purge_log_id_seq});
ok($node->poll_query_until('postgres', qq{SELECT last_value >= $seq + 3 FROM privacy._purge_log_id_seq}),
	'cycles pass with purge_log_retention = -1');
is($node->safe_psql('postgres', q{SELECT count(*) FROM privacy._purge_log WHERE finished < now() - interval '99 days'}),
	'1', 'with -1 old entries are kept');
$node->safe_psql('postgres', sprintf($fake, '2 days'));
$node->safe_psql('postgres', sprintf($fake, '200 days'));
$node->safe_psql('postgres', q{ALTER SYSTEM SET privacy.purge_log_retention = '30d'; SELECT pg_reload_conf();});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM privacy._purge_log WHERE finished < now() - interval '30 days'
		AND id <> (SELECT max(id) FROM privacy._purge_log)}),
	'entries older than privacy.purge_log_retention are pruned');
is($node->safe_psql('postgres', q{SELECT count(*) FROM privacy._purge_log WHERE finished > now() - interval '3 days'
		AND finished < now() - interval '1 day'}), '1', 'younger entries are kept');
is($node->safe_psql('postgres', q{SELECT finished < now() - interval '199 days' FROM privacy._purge_log ORDER BY id DESC LIMIT 1}),
	't', 'the newest entry of a table with a policy is kept, whatever its age');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET privacy.purge_log_retention; SELECT pg_reload_conf();});

# --- stalls: a sleeping trigger, then one that catches the cancellation
$node->safe_psql('postgres', q{
	CREATE ROLE app_owner LOGIN;
	GRANT CREATE ON SCHEMA public TO app_owner;
	ALTER SYSTEM SET privacy.purge_naptime = 3600;
	SELECT pg_reload_conf();
});
# wait (bounded) until no worker runs, then create the tables in OID order:
# the stalling one first, so the worker meets it before the others
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity
		WHERE backend_type = 'pg_privacy purge worker'}), 'no worker runs');
$node->safe_psql('postgres', q{
	SET ROLE app_owner;
	CREATE TABLE a_stall (id int, created timestamptz);
	INSERT INTO a_stall SELECT g, now() - g * interval '1 day' FROM generate_series(1, 50) g;
	CREATE FUNCTION a_stall_trg() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM pg_catalog.pg_sleep(3600);
		RETURN OLD;
	END $$;
	CREATE TRIGGER stall BEFORE DELETE ON a_stall FOR EACH ROW EXECUTE FUNCTION a_stall_trg();
	CREATE TABLE b_ok (id int, created timestamptz);
	INSERT INTO b_ok SELECT g, now() - g * interval '1 day' FROM generate_series(1, 50) g;
	RESET ROLE;
	SELECT privacy.set_retention('a_stall', 'created', '10 days');
	SELECT privacy.set_retention('b_ok', 'created', '10 days');
	DELETE FROM privacy._purge_log;
	ALTER SYSTEM SET privacy.purge_naptime = 1;
	SELECT pg_reload_conf();
});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 9 FROM b_ok}), 'the next table is purged');
ok($node->poll_query_until('postgres', q{SELECT last_run_status = 'failed' AND last_error LIKE '%stalled%privacy.purge_statement_timeout%'
		FROM privacy.retention_status WHERE table_name = 'a_stall'::regclass}),
	'retention_status reports the stalled run as failed');
is($node->safe_psql('postgres', q{SELECT count(*) FROM a_stall}), '50', 'the stalled table kept its rows');
$log = slurp_file($node->logfile);
like($log, qr/pg_privacy purge of table "public\.a_stall" stalled after 0 rows and was cancelled/,
	'the server log reports the stall');
$node->safe_psql('postgres', q{DROP TRIGGER stall ON a_stall});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 9 FROM a_stall}),
	'without the trigger the table is purged (positive control)');

$node->safe_psql('postgres', q{
	ALTER SYSTEM SET privacy.purge_naptime = 3600;
	SELECT pg_reload_conf();
});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity
		WHERE backend_type = 'pg_privacy purge worker'}), 'no worker runs');
$node->safe_psql('postgres', q{
	SET ROLE app_owner;
	CREATE TABLE c_catch (id int, created timestamptz);
	INSERT INTO c_catch SELECT g, now() - g * interval '1 day' FROM generate_series(1, 50) g;
	CREATE FUNCTION c_catch_trg() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		LOOP
			BEGIN
				PERFORM pg_catalog.pg_sleep(3600);
			EXCEPTION WHEN query_canceled THEN
				NULL;
			END;
		END LOOP;
	END $$;
	CREATE TRIGGER stall BEFORE DELETE ON c_catch FOR EACH ROW EXECUTE FUNCTION c_catch_trg();
	CREATE TABLE d_ok (id int, created timestamptz);
	INSERT INTO d_ok SELECT g, now() - g * interval '1 day' FROM generate_series(1, 50) g;
	RESET ROLE;
	SELECT privacy.set_retention('c_catch', 'created', '10 days');
	SELECT privacy.set_retention('d_ok', 'created', '10 days');
	ALTER SYSTEM SET privacy.purge_naptime = 1;
	SELECT pg_reload_conf();
});
ok($node->poll_query_until('postgres', q{SELECT last_run_status = 'failed' AND last_error LIKE '%stalled%'
		FROM privacy.retention_status WHERE table_name = 'c_catch'::regclass}),
	'a trigger catching the cancellation: its run is recorded as failed');
ok($node->poll_query_until('postgres', q{SELECT count(*) = 9 FROM d_ok}), 'the other tables are purged');
is($node->safe_psql('postgres', q{SELECT count(*) FROM c_catch}), '50', 'the stalled table kept its rows');
$log = slurp_file($node->logfile);
like($log, qr/pg_privacy purge of table "public\.c_catch" stalled after 0 rows; the worker was stopped/,
	'the server log names the table that stopped the worker');
unlike($log, qr/TRAP|terminated by signal|server process .* was terminated/, 'no crash');
$node->safe_psql('postgres', q{ALTER SYSTEM SET privacy.purge_naptime = 3600; SELECT pg_reload_conf();});

$node->stop;
done_testing();
