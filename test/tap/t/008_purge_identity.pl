# 008_purge_identity.pl: the purge worker (which connects as the bootstrap
# superuser) runs the table work of a purge as the table's owner, restricted
# (issue 14). Canaries in a table owner's trigger, in an administrator's
# mask function and a superuser's hold-condition function record whom they
# run as and try
# ALTER ROLE ... SUPERUSER
# and a self-exemption from masking: none runs as a superuser, nothing
# escalates, and the purge still does its job. A table whose trigger queues
# a deferred trigger (it would fire when the worker commits, as the
# superuser) is not purged: PostgreSQL refuses deferred triggers inside the
# restricted operation, and the run fails with 42501. Bounded polls only.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('identity');
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
	SELECT privacy.setup_roles();
	CREATE ROLE w_admin IN ROLE privacy_admin;
	CREATE ROLE w_owner;
	CREATE SCHEMA w;
	GRANT USAGE ON SCHEMA w TO PUBLIC;
	CREATE TABLE w.log (kind text, who text, is_super boolean, escalated boolean);
	GRANT INSERT ON w.log TO PUBLIC;
	CREATE FUNCTION w.canary(kind text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
	DECLARE
		up boolean := false;
	BEGIN
		BEGIN
			EXECUTE format('ALTER ROLE %I SUPERUSER', current_user);
			up := true;
		EXCEPTION WHEN insufficient_privilege THEN NULL;
		END;
		BEGIN
			PERFORM privacy.grant_unmasked(current_user::regrole);
			up := true;
		EXCEPTION WHEN insufficient_privilege THEN NULL;
		END;
		INSERT INTO w.log VALUES (kind, current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), up);
		RETURN true;
	END $$;
	ALTER FUNCTION w.canary(text) OWNER TO w_owner;
	CREATE FUNCTION w.mask(v text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
	BEGIN PERFORM w.canary('mask'); RETURN 'masked'; END $$;
	CREATE FUNCTION w.hold(v integer) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
	BEGIN PERFORM w.canary('hold'); RETURN v = 1; END $$;
	ALTER FUNCTION w.mask(text) OWNER TO w_admin;
	-- (hold conditions may call only superusers' functions, issue 15: the
	-- hold function stays the superuser's; it still runs as the owner)
	CREATE FUNCTION w.trg() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM w.canary('trigger');
		RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	END $$;
	CREATE FUNCTION w.queue() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO w.side VALUES (1);
		RETURN OLD;
	END $$;
	ALTER FUNCTION w.queue() OWNER TO w_owner;
	CREATE FUNCTION w.deferred() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN PERFORM w.canary('deferred'); RETURN NULL; END $$;
	ALTER FUNCTION w.trg() OWNER TO w_owner;
	ALTER FUNCTION w.deferred() OWNER TO w_owner;
	CREATE TABLE w.side (x int);
	CREATE CONSTRAINT TRIGGER side_deferred AFTER INSERT ON w.side DEFERRABLE INITIALLY DEFERRED
		FOR EACH ROW EXECUTE FUNCTION w.deferred();
	ALTER TABLE w.side OWNER TO w_owner;
	CREATE TABLE w.events (id int, created timestamptz, email text);
	INSERT INTO w.events SELECT g, now() - interval '100 days', 'e' || g FROM generate_series(1, 20) g;
	CREATE TABLE w.people (id int, created timestamptz, email text);
	INSERT INTO w.people SELECT g, now() - interval '100 days', 'p' || g FROM generate_series(1, 20) g;
	ALTER TABLE w.events OWNER TO w_owner;
	ALTER TABLE w.people OWNER TO w_owner;
	CREATE TRIGGER t BEFORE UPDATE OR DELETE ON w.events FOR EACH ROW EXECUTE FUNCTION w.trg();
	CREATE TRIGGER t BEFORE UPDATE OR DELETE ON w.people FOR EACH ROW EXECUTE FUNCTION w.trg();
	CREATE TABLE w.stuck (id int, created timestamptz);
	INSERT INTO w.stuck SELECT g, now() - interval '100 days' FROM generate_series(1, 5) g;
	ALTER TABLE w.stuck OWNER TO w_owner;
	CREATE TRIGGER q BEFORE DELETE ON w.stuck FOR EACH ROW EXECUTE FUNCTION w.queue();
	SELECT privacy.set_retention('w.stuck', 'created', '30 days');
	SET ROLE w_admin;
	SELECT privacy.place_hold('w.events', 'w.hold(id)', 'litigation');
	SELECT privacy.mask_column('w.people', 'email', 'w.mask(email)');
	RESET ROLE;
	SELECT privacy.set_retention('w.events', 'created', '30 days');
	SELECT privacy.set_retention('w.people', 'created', '30 days', 'anonymize');
});

ok($node->poll_query_until('postgres',
		q{SELECT (SELECT count(*) FROM w.events) = 1 AND (SELECT count(*) FROM w.people WHERE email <> 'masked') = 0}),
	'the worker purges and anonymizes (the held row stays)');
is($node->safe_psql('postgres', q{SELECT string_agg(DISTINCT kind || ':' || who, ',' ORDER BY kind || ':' || who) FROM w.log}),
	'hold:w_owner,mask:w_owner,trigger:w_owner',
	'the owner\'s triggers, the superuser\'s hold function and the administrator\'s mask function ran as the table owner');
ok($node->poll_query_until('postgres', q{SELECT count(*) > 0 FROM privacy.purge_log WHERE table_name = 'w.stuck'::regclass
		AND status = 'failed' AND error LIKE '42501: cannot fire deferred trigger%'}),
	'a purge whose table queues a deferred trigger fails (42501) instead of leaving it to the superuser\'s commit');
is($node->safe_psql('postgres', q{SELECT count(*) FROM w.stuck}), '5', 'and deletes nothing');
is($node->safe_psql('postgres', q{SELECT count(*) FROM w.log WHERE kind = 'deferred'}), '0', 'the deferred trigger never ran');
is($node->safe_psql('postgres', q{SELECT count(*) FROM w.log WHERE is_super OR escalated}), '0',
	'no canary ran as a superuser or could escalate');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_roles WHERE rolname IN ('w_owner', 'w_admin') AND rolsuper}),
	'0', 'no role became superuser');
is($node->safe_psql('postgres', q{SELECT count(*) FROM privacy.column_policies WHERE 'w_owner' = ANY (exempt_roles)}),
	'0', 'the owner did not exempt itself from masking');
$node->stop;
done_testing();
