-- Enrichment. The state ('complete' or 'partial') is read out of the enrichment JSON by a generated
-- column: the ledger writes a window's hits without knowing about enrichment, and the state can never
-- disagree with the JSON the UI shows. Partial hits are indexed for the re-enrichment job.
ALTER TABLE hits ADD COLUMN enrichment_state TEXT GENERATED ALWAYS AS (json_extract(enrichment_json, '$.state')) VIRTUAL;
CREATE INDEX hits_enrichment_partial ON hits(enrichment_state, id) WHERE enrichment_state = 'partial';
-- Answers of slow or rate-limited console lookups (asset by IP, reverse DNS), kept for a time limit.
-- value_json NULL means the console answered "nothing known", which is worth caching too.
CREATE TABLE lookup_cache (
        kind TEXT NOT NULL,               -- asset | dns | dns-none
        key TEXT NOT NULL,
        value_json TEXT,
        fetched_ms INTEGER NOT NULL,
        PRIMARY KEY (kind, key)
    );
-- Which destinations each source has talked to, by IP and by host name, as the app has seen them.
CREATE TABLE destination_history (
        source_ip TEXT NOT NULL,
        destination TEXT NOT NULL,        -- lower-case host name or IP address
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (source_ip, destination)
    );
-- Re-enrichment attempts of partial hits, so that one hit that keeps failing does not starve the others.
CREATE TABLE enrichment_retries (
        hit_id INTEGER PRIMARY KEY REFERENCES hits(id),
        attempts INTEGER NOT NULL,
        last_ms INTEGER NOT NULL,
        last_error TEXT
    )
