-- pairwise_scores.sql: pairwise precision, recall and F1 of a clustering
-- against ground truth, for the accuracy scripts (included with \ir).
-- Reads the temporary table acc_label (record_id, label, person): records
-- with equal label are one predicted cluster, with equal person one true
-- person.  Sets the psql variables acc_records, acc_clusters,
-- acc_true_pairs, acc_predicted_pairs, acc_precision, acc_recall, acc_f1.
WITH pairs AS (
	SELECT a.label = b.label AS predicted, a.person = b.person AS actual
	  FROM acc_label a JOIN acc_label b
		ON a.record_id < b.record_id AND (a.label = b.label OR a.person = b.person)
), counts AS (
	SELECT count(*) FILTER (WHERE predicted AND actual) AS tp,
		   count(*) FILTER (WHERE predicted) AS predicted,
		   count(*) FILTER (WHERE actual) AS actual
	  FROM pairs
)
SELECT (SELECT count(*) FROM acc_label) AS acc_records,
	   (SELECT count(DISTINCT label) FROM acc_label) AS acc_clusters,
	   actual AS acc_true_pairs, predicted AS acc_predicted_pairs,
	   round(tp::numeric / nullif(predicted, 0), 4) AS acc_precision,
	   round(tp::numeric / nullif(actual, 0), 4) AS acc_recall,
	   round(2 * tp::numeric / nullif(predicted + actual, 0), 4) AS acc_f1
  FROM counts \gset
