# 007_key_memory.pl (issue 20): key material does not outlive its key. A
# backend that used a data key keeps it (unwrapped key bytes in
# sodium_malloc'd memory, OpenSSL's AES key schedule, whose first round key
# is the key itself) in its cache; after the key is dropped in another
# session, that backend's next statement ends a transaction in which it sees
# the change, and the cache is wiped then (transaction-end callback), not at
# its next key lookup (which may never come). A scan of every server
# process's memory (/proc/PID/maps + /proc/PID/mem) then finds no copy of
# the key bytes, nor of their hexadecimal text. The key is imported from a
# file (privacy.import_key(material_file => ...)) by a session that stays
# connected: the importing backend holds no copy either. The master key's
# bytes are in no server process once the statements that used it are done
# (it is read, used and wiped within one call). Positive controls: the key
# IS found in the backend that uses it before the drop, and in a backend
# that is still idle after it. Skipped where /proc/PID/mem cannot be read.
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
my $material_file = $node->data_dir . '/../material.key';
open(my $mf, '>', $material_file) or die;
print $mf "$hex\n";
close $mf;
chmod 0600, $material_file;
open(my $kf, '<', $keyfile) or die;
my $master_hex = <$kf>;
close $kf;
chomp $master_hex;
my $master = pack('H*', $master_hex);
$node->safe_psql('postgres', q{CREATE EXTENSION pg_privacy});

# a psql session that stays connected
sub session {
	my %s = (in => '', out => '', err => '');
	$s{h} = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres') ], '<', \$s{in}, '>', \$s{out}, '2>', \$s{err});
	return \%s;
}
sub query {
	my ($s, $sql) = @_;
	$s->{out} = '';
	$s->{in} .= "$sql\n\\echo DONE\n";
	IPC::Run::pump($s->{h}) until $s->{out} =~ /DONE\n/;
	$s->{out} =~ s/DONE\n//;
	chomp $s->{out};
	return $s->{out};
}

# backend A imports the key from the file (the key never travels in a
# statement) and stays connected; backend B uses the key and stays connected
my $a = session();
my $apid = query($a, 'SELECT pg_backend_pid();');
is(query($a, qq{SELECT privacy.import_key('memscan', material_file => '$material_file');}), '1', 'A imported the key from a file');
my $b = session();
my $bpid = query($b, 'SELECT pg_backend_pid();');
is(query($b, q{SELECT length(privacy.fpe_encrypt('0123456789', 'memscan'));}), '10', 'backend B used the key');

# total(needle) counts needle in every server process of the cluster
sub total {
	my ($needle) = @_;
	my $pids = $node->safe_psql('postgres', q{SELECT string_agg(pid::text, ' ') FROM pg_stat_activity});
	my $n = 0;
	for my $pid (split(/ /, $pids), $node->safe_psql('postgres', q{SELECT pg_backend_pid()})) {
		my $c = copies($pid, $needle);
		$n += $c if $c > 0;
	}
	return $n;
}

SKIP: {
	my $before = copies($bpid, $key);
	skip 'cannot read the memory of server processes', 7 if $before < 0;
	cmp_ok($before, '>=', 1, 'positive control: the key bytes are found in B while it may use the key');
	is(copies($apid, $key) + copies($apid, $hex), 0, 'the importing backend A holds no copy of the key or its text');

	$node->safe_psql('postgres', q{SELECT privacy.drop_key('memscan')});
	cmp_ok(copies($bpid, $key), '>=', 1, 'positive control: an idle B has not seen the drop yet');

	query($b, 'SELECT 1;');
	is(copies($bpid, $key), 0, 'after one more statement in B, B holds no copy of the key');
	query($a, 'SELECT 1;');

	is(total($key), 0, 'no server process holds a copy of the key');
	is(total($hex), 0, 'no server process holds the key\'s hexadecimal text');
	is(total($master), 0, 'no server process holds the master key');
}

for my $s ($a, $b) {
	$s->{in} .= "\\q\n";
	IPC::Run::finish($s->{h});
}
$node->stop;
done_testing();
