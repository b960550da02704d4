-- link_closure.sql: the clusters that links make, for the accuracy
-- scripts (included with \ir).  Reads the temporary tables acc_edges
-- (record_a, record_b) and acc_label (record_id, label, person) with every
-- label equal to its record_id, and gives each record the smallest record
-- id of its connected component (iterated min-label propagation).
CREATE INDEX ON acc_label (record_id);
DO $$
DECLARE
	changed bigint;
BEGIN
	LOOP
		UPDATE acc_label l SET label = n.label
		  FROM (SELECT x.id, min(x.label) AS label
				  FROM (SELECT e.record_a AS id, b.label FROM acc_edges e JOIN acc_label b ON b.record_id = e.record_b
						UNION ALL
						SELECT e.record_b, a.label FROM acc_edges e JOIN acc_label a ON a.record_id = e.record_a) x
				 GROUP BY x.id) n
		 WHERE l.record_id = n.id AND n.label < l.label;
		GET DIAGNOSTICS changed = ROW_COUNT;
		EXIT WHEN changed = 0;
	END LOOP;
END
$$;
