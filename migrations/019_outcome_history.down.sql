DROP TABLE IF EXISTS outcome_counts;
