# 002_dump_non_admin.pl: pg_dump run by a role that row-level security
# limits never writes rows that the role may not see, and never drops rows
# silently: without --enable-row-security it fails (pg_dump sets
# row_security = off, which raises an error instead of filtering), and with
# it the dump holds only the rows the role sees for its purpose.  A
# superuser's dump, the control, holds every row, and with them the key of
# the erasure tombstones, so that a restored database still refuses an
# erased person's identifiers.

use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump_non_admin');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE cdp_db');
# three people: one consented to analytics, one never asked, one withdrew
$node->safe_psql('cdp_db', q{
CREATE EXTENSION cdp;
CREATE ROLE regress_dump_analyst LOGIN;
GRANT cdp_analyst TO regress_dump_analyst;
INSERT INTO cdp.sources (source_key, display_name) VALUES ('crm', 'CRM');
INSERT INTO cdp.profiles (family_name, email)
VALUES ('Visible', 'visible-1@example.jp'), ('Hidden', 'hidden-2@example.jp'), ('Withdrawn', 'hidden-3@example.jp');
INSERT INTO cdp.source_records (source_id, source_record_key, profile_id, email)
SELECT 1, 'C-' || profile_id, profile_id, email FROM cdp.profiles;
INSERT INTO cdp.identifiers (record_id, profile_id, kind, value)
SELECT record_id, profile_id, 'email', email FROM cdp.source_records;
INSERT INTO cdp.events (source_id, source_event_key, record_id, profile_id, event_type, occurred_at)
SELECT 1, 'E-' || profile_id || '-' || email, record_id, profile_id, 'visit', '2026-01-01' FROM cdp.source_records;
INSERT INTO cdp.consent_events (profile_id, purpose, decision, collected_at)
VALUES (1, 'analytics', 'granted', '2026-01-01'),
       (3, 'analytics', 'granted', '2026-01-01'), (3, 'analytics', 'withdrawn', '2026-02-01');
});

my $rls = $node->safe_psql('cdp_db',
	"SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'cdp.profiles'::regclass");
ok($rls eq 't', 'row-level security is forced on cdp.profiles');

# pg_dump to stdout (plain SQL) as a role, with extra options and settings
sub dump_as
{
	my ($role, $options, $settings) = @_;
	my ($stdout, $stderr) = ('', '');
	local $ENV{PGOPTIONS} = $settings // '';
	my $ok = IPC::Run::run(
		[ 'pg_dump', '-Fp', @$options, '-d', $node->connstr('cdp_db') . " user=$role" ],
		'>', \$stdout, '2>', \$stderr);
	return ($ok, $stdout, $stderr);
}

my @personal = map { ('-t', "cdp.$_") } qw(profiles source_records identifiers events);

# the control: a superuser dumps every row
my ($ok, $out, $err) = dump_as($node->safe_psql('postgres', 'SELECT current_user'), [], undef);
ok($ok, 'a superuser dumps the database');
like($out, qr/hidden-2\@example\.jp/, 'the superuser dump holds the rows the analyst may not see');

sub count_rows
{
	my ($out, $pattern) = @_;
	return scalar(() = $out =~ /$pattern/g);
}

# the analyst tries to widen its view: a purpose it does not hold, for
# which the hidden person did consent
$node->safe_psql('cdp_db', q{
INSERT INTO cdp.consent_events (profile_id, purpose, decision, collected_at)
VALUES (2, 'third_party_sharing', 'granted', '2026-01-01')});

# The whole database: the analyst may not read cdp's internal tables (the
# audit log, requests, tombstones), so the dump stops with an error, with
# and without --enable-row-security, whatever the purpose.
for my $options ([], ['--enable-row-security'])
{
	for my $purpose (undef, '-c cdp.purpose=analytics')
	{
		my $label = sprintf('whole database%s, purpose %s',
			@$options ? ' with ' . $options->[0] : '', $purpose ? 'analytics' : 'unset');
		($ok, $out, $err) = dump_as('regress_dump_analyst', $options, $purpose);
		ok(!$ok, "$label: pg_dump fails");
		like($err, qr/permission denied|row-level security/, "$label: it says why");
		is(count_rows($out, qr/hidden-[23]\@example\.jp/), 0, "$label: no hidden row was written");
	}
}

# The personal tables alone, which the analyst may read under row-level
# security.  Without --enable-row-security, pg_dump sets row_security = off
# and the server refuses rather than filter.
for my $purpose (undef, '-c cdp.purpose=analytics')
{
	my $label = 'personal tables, purpose ' . ($purpose ? 'analytics' : 'unset');
	($ok, $out, $err) = dump_as('regress_dump_analyst', [@personal], $purpose);
	ok(!$ok, "$label: pg_dump fails without --enable-row-security");
	like($err, qr/query would be affected by row-level security policy/,
		"$label: because of row-level security");
	is(count_rows($out, qr/hidden-[23]\@example\.jp/), 0, "$label: no hidden row was written");
}

# With --enable-row-security the dump holds what the role sees: nothing
# without a purpose, the consenting person's rows for analytics, and
# nothing more for a purpose the role does not hold.
($ok, $out, $err) = dump_as('regress_dump_analyst', [ '--enable-row-security', @personal ], undef);
ok($ok, 'with --enable-row-security and no purpose: pg_dump succeeds');
is(count_rows($out, qr/(visible-1|hidden-[23])\@example\.jp/), 0, 'with no purpose: no personal row');

($ok, $out, $err) = dump_as('regress_dump_analyst', [ '--enable-row-security', @personal ],
	'-c cdp.purpose=analytics');
ok($ok, 'with --enable-row-security for analytics: pg_dump succeeds');
is(count_rows($out, qr/visible-1\@example\.jp/), 4,
	"for analytics: the consenting person's profile, record, identifier and event");
is(count_rows($out, qr/hidden-[23]\@example\.jp/), 0,
	'for analytics: nobody who never consented or withdrew');

($ok, $out, $err) = dump_as('regress_dump_analyst', [ '--enable-row-security', @personal ],
	'-c cdp.purpose=third_party_sharing');
is(count_rows($out, qr/hidden-2\@example\.jp/), 0,
	'a purpose the role does not hold shows nothing, even where the person consented to it');

# The key of the erasure tombstones travels with a superuser's dump (it is
# made on the first erasure, not at install): in the restored database an
# erased person's e-mail address is still refused, in any spelling.
$node->safe_psql('cdp_db', 'SELECT cdp.erase_person(2)');
# a flagged re-ingestion (the person came back) must restore too
$node->safe_psql('cdp_db', q{
UPDATE cdp.dsr_settings SET value = 'flag' WHERE setting = 'reingestion';
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'C-back', 'hidden-2@example.jp');
UPDATE cdp.dsr_settings SET value = 'refuse' WHERE setting = 'reingestion';
});
my $dumpfile = $node->basedir . '/cdp_db.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('cdp_db'), '-f', $dumpfile ],
	'a superuser dumps the database after an erasure');
$node->safe_psql('postgres', 'CREATE DATABASE restored_db');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored_db'), $dumpfile ],
	'and restores it');
is( $node->safe_psql('restored_db', "SELECT count(*) FROM cdp.source_records WHERE source_record_key = 'C-back'"),
	'1', 'a row loaded in flag mode is restored');
is( $node->safe_psql('restored_db', "SELECT count(*) FROM cdp.audit_log WHERE action = 'tombstone_match'"),
	'1', 'and its audit row, once');
is( $node->safe_psql('restored_db', 'SELECT count(*) FROM cdp.tombstones'),
	$node->safe_psql('cdp_db', 'SELECT count(*) FROM cdp.tombstones'), 'the tombstones are restored');
my ($rc, $stdout, $stderr) = $node->psql('restored_db', q{
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'C-9', ' Hidden-2@EXAMPLE.jp')});
isnt($rc, 0, 'the erased address is refused in the restored database');
like($stderr, qr/refusing to load the email of an erased person/, 'because it matches a tombstone');
($rc, $stdout, $stderr) = $node->psql('restored_db', q{
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'C-10', 'someone.else@example.jp')});
is($rc, 0, 'another address loads');

$node->stop;
done_testing();
