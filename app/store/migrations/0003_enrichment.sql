-- Enrichment. The state ('complete' or 'partial') is copied out of the enrichment JSON by the code that
-- writes it (the hit's row, save_enrichment), so that the base image's SQLite 3.26 (no generated columns,
-- JSON1 not guaranteed) can run it. Partial hits are indexed for the re-enrichment job.
-- Stores of release 00064f7 had a generated column here instead: app/store/upgrade.py converts them.
ALTER TABLE hits ADD COLUMN enrichment_state TEXT;
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
