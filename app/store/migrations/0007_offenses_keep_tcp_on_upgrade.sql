-- Offense syslog now defaults to TLS (port 6514). A store that has already run kept its events going to plain
-- TCP 514 by default: pin that explicitly, so an upgrade does not silently stop delivery (the dispatch summary
-- then warns that the transport is plain, and the admin switches to TLS when the collector offers it).
-- A new store (nothing run yet) gets the TLS default.
INSERT INTO audit (at_ms, actor, action, target, detail_json)
    SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'migration 0007', 'config.set', 'offenses',
           json_object('note', 'the default became tls, this store kept the plain tcp it used', 'protocol', 'tcp')
    WHERE EXISTS (SELECT 1 FROM windows)
      AND NOT EXISTS (SELECT 1 FROM config WHERE key = 'offenses' AND json_extract(value_json, '$.protocol') IS NOT NULL);
UPDATE config SET value_json = json_set(value_json, '$.protocol', 'tcp'), updated_by = 'migration 0007'
    WHERE key = 'offenses' AND json_extract(value_json, '$.protocol') IS NULL AND EXISTS (SELECT 1 FROM windows);
INSERT INTO config (key, value_json, updated_ms, updated_by)
    SELECT 'offenses', '{"protocol": "tcp"}', CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'migration 0007'
    WHERE EXISTS (SELECT 1 FROM windows) AND NOT EXISTS (SELECT 1 FROM config WHERE key = 'offenses')
