-- Why: the re-sends recorded before 0064 move to alert_delivery_resends, numbered in the order they
-- happened (a delivery's n-th re-send is its row with retry = n). Repeating the copy replaces the same
-- rows (the key is deterministic), so two processes migrating at once cannot duplicate them.
INSERT INTO alert_delivery_resends (delivery_id, retry, retried_at, retried_by, attempts, last_status, last_error)
SELECT delivery_id,
       toUInt16(row_number() OVER (PARTITION BY delivery_id ORDER BY retried_at)),
       retried_at, retried_by, attempts, last_status, last_error
FROM alert_delivery_retries
