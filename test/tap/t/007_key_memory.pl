# 007_key_memory.pl (issue 20): key material does not outlive its key. A
# backend that used a data key keeps it (unwrapped key bytes, AES key
# schedule) in its cache; after the key is dropped in another session, that
# backend's next statement ends a transaction in which it sees the change,
# and the cache is wiped then, not at its next key lookup (which may never
# come). A scan of every server process's memory then finds no copy of the
# key bytes. The key is imported by a session that disconnects before the
# scans (the importing backend's own argument copy is another matter).
# Skipped where /proc/PID/mem cannot be read.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

# copies(pid, needle) counts the occurrences of needle in the readable memory of pid.
sub copies {
	my ($pid, $needle) = @_;
	open(my $maps, '<', "/proc/$pid/maps") or return -1;
	open(my $mem, '<:raw', "/proc/$pid/mem") or return -1;
	my $count = 0;
	while (my $line = <$maps>) {
		my ($lo, $hi, $perm) = $line =~ /^([0-9a-f]+)-([0-9a-f]+) (\S+)/ or next;
		next if $perm !~ /r/ || $line =~ /\[(vvar|vsyscall|vdso)\]/;
		my $len = hex($hi) - hex($lo);
		next if $len > 1024 * 1024 * 1024;
		sysseek($mem, hex($lo), 0) or next;
		my $data = '';
		my $got = sysread($mem, $data, $len);
		next if !defined $got || $got <= 0;
		my $pos = 0;
		while (($pos = index($data, $needle, $pos)) >= 0) { $count++; $pos++; }
	}
	return $count;
}

my $node = PostgreSQL::Test::Cluster->new('keymem');
$node->init;
my $keyfile = $node->data_dir . '/../master.key';
open(my $fh, '>', $keyfile) or die;
print $fh join('', map { sprintf('%02x', int(rand(256))) } 1 .. 32), "\n";
close $fh;
chmod 0600, $keyfile;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_privacy'\nprivacy.master_key_file = '$keyfile'");
$node->start;

my $key = join('', map { chr(int(rand(256))) } 1 .. 32);
my $hex = unpack('H*', $key);
$node->safe_psql('postgres', qq{
	CREATE EXTENSION pg_privacy;
	SET log_statement = 'none';
	SELECT privacy.import_key('memscan', '\\x$hex');
});

# backend B uses the key and stays connected
my ($in, $out, $err) = ('', '', '');
my $b = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres') ], '<', \$in, '>', \$out, '2>', \$err);
sub b_query {
	my ($sql) = @_;
	$out = '';
	$in .= "$sql\n\\echo DONE\n";
	IPC::Run::pump($b) until $out =~ /DONE\n/;
	$out =~ s/DONE\n//;
	chomp $out;
	return $out;
}
my $bpid = b_query('SELECT pg_backend_pid();');
is(b_query(q{SELECT length(privacy.fpe_encrypt('0123456789', 'memscan'));}), '10', 'backend B used the key');

SKIP: {
	my $before = copies($bpid, $key);
	skip 'cannot read the memory of server processes', 4 if $before < 0;
	cmp_ok($before, '>=', 1, 'positive control: the key bytes are found in B while it may use the key');

	$node->safe_psql('postgres', q{SELECT privacy.drop_key('memscan')});
	cmp_ok(copies($bpid, $key), '>=', 1, 'an idle B has not seen the drop yet');

	b_query('SELECT 1;');
	is(copies($bpid, $key), 0, 'after one more statement in B, B holds no copy of the key');

	my $pids = $node->safe_psql('postgres', q{SELECT string_agg(pid::text, ' ') FROM pg_stat_activity});
	my $total = 0;
	for my $pid (split(/ /, $pids)) {
		my $n = copies($pid, $key);
		$total += $n if $n > 0;
	}
	is($total, 0, 'no server process holds a copy of the key');
}

$in .= "\\q\n";
IPC::Run::finish($b);
$node->stop;
done_testing();
