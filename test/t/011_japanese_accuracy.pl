# 011_japanese_accuracy.pl: unsupervised probabilistic linking with the
# model of cdp.default_probabilistic_rule() on synthetic Japanese customer
# records (test/data/generate_japanese.pl: kanji variants, kana in any
# width, romaji in any order and spelling, phone and address formats,
# typos, households and namesakes) reaches pairwise F1 >= 0.98 with
# precision >= 0.99 against the generator's ground truth.  The linking,
# clustering and scoring are test/accuracy/japanese.sql.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('japanese');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION cdp');

my $records = $node->basedir . '/japanese.tsv';
for my $seed (1, 2)
{
	system("perl test/data/generate_japanese.pl --persons 3000 --seed $seed > $records") == 0
	  or die "generator failed";
	my ($out, $err) = ('', '');
	$node->psql('postgres', undef,
		stdout => \$out, stderr => \$err, on_error_die => 1,
		extra_params => [ '-v', "records=$records", '-v', 'threshold=2',
			'-f', 'test/accuracy/japanese.sql' ]);
	diag($out);
	my ($n, $p, $r, $f1) =
	  $out =~ /records=(\d+) .* precision=([\d.]+) recall=([\d.]+) f1=([\d.]+)/;
	ok(defined $f1, "seed $seed: figures printed");
	cmp_ok($n, '>', 6000, "seed $seed: $n records loaded");
	cmp_ok($p, '>=', 0.99, "seed $seed: precision $p >= 0.99");
	cmp_ok($f1, '>=', 0.98, "seed $seed: pairwise F1 $f1 >= 0.98 (recall $r)");
}

# households (same family name, address and landline) are different
# people: links between two members of one household are rare (precision
# counts them; this shows how many there are)
my $household_links = $node->safe_psql('postgres', q{
SELECT count(*)
  FROM cdp._probabilistic_edges(NULL) e
  JOIN cdp.source_records a ON a.record_id = e.record_a
  JOIN cdp.source_records b ON b.record_id = e.record_b
 WHERE a.attributes -> 'person' <> b.attributes -> 'person'
   AND a.attributes -> 'household' = b.attributes -> 'household'});
my $household_pairs = $node->safe_psql('postgres', q{
SELECT count(*)
  FROM cdp.source_records a
  JOIN cdp.source_records b ON a.record_id < b.record_id
   AND a.attributes -> 'person' <> b.attributes -> 'person'
   AND a.attributes -> 'household' = b.attributes -> 'household'});
diag("links inside households between different people: $household_links of $household_pairs pairs");
cmp_ok($household_links, '<=', $household_pairs / 100, 'at most 1% of household pairs are linked');

$node->stop;
done_testing();
