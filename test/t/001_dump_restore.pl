# 001_dump_restore.pl: pg_dump of a database with cdp data, restored into a
# fresh database, loses nothing: every row of every cdp table (user rows and
# customised seed rows), and ids continue after the restored ones.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE source_db');
$node->safe_psql('source_db', q{
CREATE EXTENSION cdp;
INSERT INTO cdp.sources (source_key, display_name, kind, trust_rank)
VALUES ('crm', 'CRM', 'crm', 90), ('shop', 'Online shop', 'ecommerce', 60);
INSERT INTO cdp.profiles (family_name, given_name) VALUES ('高橋', '一郎'), ('Smith', 'Anna');
INSERT INTO cdp.profiles (status, merged_into) SELECT 'merged', min(profile_id) FROM cdp.profiles;
INSERT INTO cdp.source_records (source_id, source_record_key, profile_id, family_name, given_name,
                                family_name_kana, email, phone, birth_date, attributes)
SELECT s.source_id, 'K-' || g, p.profile_id, '髙橋', '一郎', 'ﾀｶﾊｼ', 'ichiro' || g || '@example.jp',
       '090-1234-567' || g, DATE '1980-04-01' + g, jsonb_build_object('rank', g)
  FROM cdp.sources s, generate_series(1, 5) g,
       (SELECT min(profile_id) AS profile_id FROM cdp.profiles) p;
INSERT INTO cdp.identifier_kinds (kind, description, max_per_profile) VALUES ('member_no', 'our own', 1);
UPDATE cdp.identifier_kinds SET max_records_per_value = 3 WHERE kind = 'phone';
INSERT INTO cdp.identifiers (record_id, profile_id, kind, value, raw_value)
SELECT record_id, profile_id, 'email', email, email FROM cdp.source_records;
INSERT INTO cdp.identifiers (record_id, profile_id, kind, value)
SELECT record_id, profile_id, 'member_no', 'M' || record_id FROM cdp.source_records;
INSERT INTO cdp.blocked_identifiers (kind, value, reason) VALUES ('email', 'dummy@shop.jp', 'till default');
INSERT INTO cdp.match_rules (rule_name, rule_type, definition) VALUES ('same_email', 'deterministic', '{"kind": "email"}');
INSERT INTO cdp.merge_log (action, profile_id, other_profile_id, record_ids, rule_id, match_weight)
SELECT 'merge', 1, 3, ARRAY[1, 2], rule_id, 12.5 FROM cdp.match_rules;
INSERT INTO cdp.events (source_id, source_event_key, record_id, profile_id, event_type, occurred_at, amount, currency)
SELECT source_id, 'E-' || record_id, record_id, profile_id, 'order', TIMESTAMPTZ '2026-01-01 09:00+09' + record_id * interval '1 day',
       1000 * record_id, 'JPY'
  FROM cdp.source_records;
INSERT INTO cdp.purposes (purpose, name_en, name_ja) VALUES ('surveys', 'Surveys', 'アンケート');
UPDATE cdp.purposes SET name_ja = '分析（社内）' WHERE purpose = 'analytics';
INSERT INTO cdp.consent_events (record_id, purpose, decision, collected_at, source_id)
SELECT record_id, 'surveys', 'granted', '2026-01-01', source_id FROM cdp.source_records;
UPDATE cdp.survivorship_rules SET criteria = '{trust}' WHERE attribute = 'email';
UPDATE cdp.role_purposes SET enabled = false WHERE role_name = 'cdp_marketer' AND purpose = 'personalisation';
-- audit rows, written by cdp's functions
SELECT cdp.record_consent('analytics', 'granted', profile_id => 2, collected_at => '2026-02-01');
SELECT cdp.record_consent('analytics', 'withdrawn', record_id => 1, collected_at => '2026-02-02');
SELECT cdp.export_person(2) IS NOT NULL;
SELECT cdp.restrict_processing(2, 'disputed');
-- an erased person who came back, loaded in flag mode: a restore, serial or
-- parallel, must neither refuse the row nor audit it again
INSERT INTO cdp.source_records (source_id, source_record_key, profile_id, email)
SELECT 1, 'GONE-1', 2, 'anna@example.com';
SELECT cdp.erase_person(2) IS NOT NULL;
UPDATE cdp.dsr_settings SET value = 'flag' WHERE setting = 'reingestion';
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'BACK-1', 'Anna@Example.com');
UPDATE cdp.dsr_settings SET value = 'refuse' WHERE setting = 'reingestion';
});

# A fingerprint of every table in schema cdp: its rows in a stable order.
# Seed rows are made anew by CREATE EXTENSION during the restore, so their
# created_at is left out.  The change log of the sessions' consent caches
# is bookkeeping of the running database, not dumped: the restore's own
# changes fill it anew.
sub fingerprint
{
	my ($db) = @_;
	my $tables = $node->safe_psql($db, q{
SELECT string_agg(format('%I.%I', n.nspname, c.relname), ' ' ORDER BY c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'cdp' AND c.relkind = 'r'
   AND c.relname NOT IN ('consent_changes', 'consent_changes_pruned')});
	my %rows;
	for my $table (split / /, $tables)
	{
		$rows{$table} = $node->safe_psql($db,
			"SELECT count(*) || ' ' || coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '')
			   FROM (SELECT (CASE WHEN (to_jsonb(t) ->> 'builtin')::boolean
			                      THEN to_jsonb(t) - 'created_at' ELSE to_jsonb(t) END)::text AS r
			           FROM $table t) rows");
	}
	return \%rows;
}

my $before = fingerprint('source_db');
is( $node->safe_psql('source_db',
		"SELECT string_agg(action, ' ' ORDER BY audit_id) FROM cdp.audit_log"),
	'consent_change consent_change export restrict erase tombstone_match',
	'the source database holds audit rows of every kind it went through');
ok(scalar(keys %$before) >= 10, 'fingerprinted every cdp table');

my $dumpfile = $node->basedir . '/cdp.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('source_db'), '-f', $dumpfile ],
	'pg_dump -Fc of a database with cdp data');

$node->safe_psql('postgres', 'CREATE DATABASE restored_db');
$node->command_ok(
	[ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored_db'), $dumpfile ],
	'pg_restore into a fresh database without errors');

my $after = fingerprint('restored_db');
for my $table (sort keys %$before)
{
	is($after->{$table}, $before->{$table}, "$table restored row for row");
}

is( $node->safe_psql('restored_db',
		"SELECT format('%s %s', max_records_per_value, builtin) FROM cdp.identifier_kinds WHERE kind = 'phone'"),
	'3 f', 'a customised seed row survives the restore');
is( $node->safe_psql('restored_db', "SELECT count(*) FROM cdp.purposes WHERE purpose = 'analytics'"),
	'1', 'the customised seed row replaced the seed, not duplicated it');

# ids continue after the restored ones: the sequences came along
my $max_record = $node->safe_psql('restored_db', 'SELECT max(record_id) FROM cdp.source_records');
my $new_record = $node->safe_psql('restored_db', q{
INSERT INTO cdp.source_records (source_id, source_record_key)
SELECT source_id, 'NEW-1' FROM cdp.sources WHERE source_key = 'crm' RETURNING record_id});
cmp_ok($new_record, '>', $max_record, 'new record ids continue after the restored ones');
my $new_event = $node->safe_psql('restored_db', q{
INSERT INTO cdp.events (source_id, event_type, occurred_at)
SELECT source_id, 'visit', now() FROM cdp.sources WHERE source_key = 'crm' RETURNING event_id});
cmp_ok($new_event, '>', $node->safe_psql('source_db', 'SELECT max(event_id) FROM cdp.events'),
	'new event ids continue after the restored ones');

# the restore wrote no audit rows of its own, and new ones continue after the restored ones
is( $node->safe_psql('restored_db', 'SELECT count(*) FROM cdp.audit_log'),
	$node->safe_psql('source_db', 'SELECT count(*) FROM cdp.audit_log'), 'the restore wrote no audit rows');
$node->safe_psql('restored_db', 'SELECT cdp.export_person(2)');
cmp_ok($node->safe_psql('restored_db', 'SELECT max(audit_id) FROM cdp.audit_log'),
	'>', $node->safe_psql('source_db', 'SELECT max(audit_id) FROM cdp.audit_log'),
	'new audit ids continue after the restored ones');

# Parallel restore (pg_restore -j): the archive does not order the data of
# extension tables, so foreign-key checks are turned off for the restore
# with session_replication_role = replica (superuser), and the consent
# state is rebuilt afterwards (README, "Backup and restore").
$node->safe_psql('postgres', 'CREATE DATABASE parallel_db');
{
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	$node->command_ok(
		[ 'pg_restore', '-j', '2', '--exit-on-error', '-d', $node->connstr('parallel_db'), $dumpfile ],
		'pg_restore -j 2 with session_replication_role = replica');
}
is($node->safe_psql('parallel_db', 'SELECT count(*) FROM cdp.consent_current'), '0',
	'the consent state is empty until rebuilt (nobody is visible meanwhile)');
$node->safe_psql('parallel_db', 'SELECT cdp.consent_refresh()');
is_deeply(fingerprint('parallel_db'), $before, 'the parallel restore has every row, and the rebuilt consent state');

# a plain-format dump replayed by psql gives the same result
my $plain = $node->basedir . '/cdp.sql';
$node->command_ok([ 'pg_dump', '-Fp', '-d', $node->connstr('source_db'), '-f', $plain ],
	'pg_dump as a plain SQL script');
$node->safe_psql('postgres', 'CREATE DATABASE replayed_db');
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('replayed_db'), '-f', $plain ],
	'the plain dump replays without errors');
is_deeply(fingerprint('replayed_db'), $before, 'the replayed database has every row');

$node->stop;
done_testing();
