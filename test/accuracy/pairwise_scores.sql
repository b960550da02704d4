-- pairwise_scores.sql: pairwise precision, recall and F1 of a clustering
-- against ground truth, for the accuracy scripts (included with \ir).
-- Reads the temporary table acc_label (record_id, label, person): records
-- with equal label are one predicted cluster, with equal person one true
-- person.  Sets the psql variables acc_records, acc_clusters,
-- acc_true_pairs, acc_predicted_pairs, acc_precision, acc_recall, acc_f1.
--
-- Pairs are counted, not listed: a group of n records holds n(n-1)/2
-- pairs, so the predicted pairs are those within a label, the true ones
-- within a person, and the correct ones within a (label, person) group
-- (a NULL label or person pairs with nothing, as in an equality join).
-- Linear in the records (a join listing the pairs was quadratic at 1M).
WITH counts AS (
	SELECT (SELECT coalesce(sum(n * (n - 1) / 2), 0)
			  FROM (SELECT count(*) AS n FROM acc_label
					 WHERE label IS NOT NULL AND person IS NOT NULL GROUP BY label, person) g) AS tp,
		   (SELECT coalesce(sum(n * (n - 1) / 2), 0)
			  FROM (SELECT count(*) AS n FROM acc_label
					 WHERE label IS NOT NULL GROUP BY label) g) AS predicted,
		   (SELECT coalesce(sum(n * (n - 1) / 2), 0)
			  FROM (SELECT count(*) AS n FROM acc_label
					 WHERE person IS NOT NULL GROUP BY person) g) AS actual
)
SELECT (SELECT count(*) FROM acc_label) AS acc_records,
	   (SELECT count(DISTINCT label) FROM acc_label) AS acc_clusters,
	   actual AS acc_true_pairs, predicted AS acc_predicted_pairs,
	   round(tp / nullif(predicted, 0), 4) AS acc_precision,
	   round(tp / nullif(actual, 0), 4) AS acc_recall,
	   round(2 * tp / nullif(predicted + actual, 0), 4) AS acc_f1
  FROM counts \gset
