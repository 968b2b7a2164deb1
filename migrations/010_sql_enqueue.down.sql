DROP FUNCTION IF EXISTS taskforge_enqueue(text, jsonb, text, integer, timestamptz, text);
DROP TABLE IF EXISTS job_enqueue_relay;
DROP TABLE IF EXISTS taskforge_enqueue_settings;
