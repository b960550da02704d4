# 010_febrl_accuracy.pl: unsupervised probabilistic linking of the Febrl
# datasets (test/data/febrl) reaches the pairwise F1 it is known to reach:
# the target 0.995 on dataset3 (Splink reports 0.9929), and what the model
# achieves on datasets 1 and 2 (1.0) less a small margin.  The linking,
# clustering and scoring are test/accuracy/febrl.sql, the script that
# test/accuracy/febrl.sh runs by hand.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('febrl');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION cdp');

my %min_f1 = (1 => 0.99, 2 => 0.99, 3 => 0.995);
for my $n (1, 2, 3)
{
	my ($out, $err) = ('', '');
	$node->psql('postgres', undef,
		stdout => \$out, stderr => \$err, on_error_die => 1,
		extra_params => [ '-v', "dataset=test/data/febrl/dataset$n.csv",
			'-f', 'test/accuracy/febrl.sql' ]);
	diag($out);
	my ($records, $p, $r, $f1) =
	  $out =~ /records=(\d+) .* precision=([\d.]+) recall=([\d.]+) f1=([\d.]+)/;
	ok(defined $f1, "dataset$n: figures printed");
	is($records, $n == 1 ? 1000 : 5000, "dataset$n: every record loaded");
	cmp_ok($f1, '>=', $min_f1{$n}, "dataset$n: pairwise F1 $f1 >= $min_f1{$n} (precision $p, recall $r)");
}

# the estimates were stored and scoring is deterministic: a second run of
# the edges gives the same links
my $first = $node->safe_psql('postgres',
	'SELECT md5(string_agg(record_a || \'-\' || record_b, \',\' ORDER BY record_a, record_b)) FROM cdp._probabilistic_edges(NULL)');
my $second = $node->safe_psql('postgres',
	'SELECT md5(string_agg(record_a || \'-\' || record_b, \',\' ORDER BY record_a, record_b)) FROM cdp._probabilistic_edges(NULL)');
is($first, $second, 'scoring a trained rule twice gives the same links');

# retraining with the same seed gives the same estimates
my $defs = $node->safe_psql('postgres', q{
SELECT (SELECT definition - 'training' FROM cdp.match_rules WHERE rule_name = 'febrl')
	 = (cdp.train_probabilistic_rule('febrl') - 'training')});
is($defs, 't', 'training again with the same seed gives the same estimates');

$node->stop;
done_testing();
