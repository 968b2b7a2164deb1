DROP TRIGGER IF EXISTS webhook_deliveries_clear ON jobs;
DROP TRIGGER IF EXISTS webhook_deliveries_remove ON jobs;
DROP TRIGGER IF EXISTS webhook_delivery_add ON jobs;
DROP FUNCTION IF EXISTS webhook_deliveries_clear();
DROP FUNCTION IF EXISTS webhook_deliveries_remove();
DROP FUNCTION IF EXISTS webhook_delivery_add();
DROP TABLE IF EXISTS webhook_attempts;
DROP TABLE IF EXISTS webhook_deliveries;
ALTER TABLE jobs DROP COLUMN IF EXISTS callback_url;
