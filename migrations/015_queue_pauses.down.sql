ALTER TABLE workers DROP COLUMN IF EXISTS queue_weights;
DROP TABLE IF EXISTS queue_pauses;
