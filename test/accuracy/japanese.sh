#!/usr/bin/env bash
# japanese.sh: pairwise precision, recall and F1 of unsupervised probabilistic
# linking (cdp.default_probabilistic_rule(), threshold 2) on generated
# Japanese customer records, seeds 1 to 3, 3,000 people each.
#
#   test/accuracy/japanese.sh        against the database libpq's PG* variables name
#
# Run it in a scratch database with the cdp extension and no other source
# records; the script replaces the records of
# the sources crm, shop, pos and web and the rule "japanese" in it and
# disables its other probabilistic rules.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
records=$(mktemp)
trap 'rm -f "$records"' EXIT
for seed in 1 2 3; do
	perl test/data/generate_japanese.pl --persons 3000 --seed "$seed" >"$records"
	psql -X -q -v ON_ERROR_STOP=1 -v records="$records" -v threshold=2 \
		-f test/accuracy/japanese.sql | sed "s/^japanese /japanese seed $seed /"
done
