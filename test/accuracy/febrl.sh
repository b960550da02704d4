#!/usr/bin/env bash
# febrl.sh: pairwise precision, recall and F1 of unsupervised probabilistic
# linking on the Febrl datasets 1-3 (test/data/febrl), one line each.
#
#   test/accuracy/febrl.sh            against the database libpq's PG* variables name
#
# Run it in a scratch database with the cdp extension (CREATE EXTENSION cdp)
# and no other source records; the script
# replaces the source "febrl" and the rule "febrl" in it and disables its
# other probabilistic rules.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
for n in 1 2 3; do
	psql -X -q -v ON_ERROR_STOP=1 -v dataset="test/data/febrl/dataset$n.csv" \
		-f test/accuracy/febrl.sql
done
