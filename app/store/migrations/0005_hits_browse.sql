-- Browsing hits in the tab: filters and sorts on a million hits without OFFSET. The values the filters read
-- out of the enrichment (tool, destination, host name, the masked command line that text search reads) are
-- real columns written by Python next to the JSON (app/store/hits.py facets()), not generated columns or
-- json_extract: the console's SQLite 3.26 has no generated columns and JSON1 is not assured. Older rows get
-- them from Hits.backfill_facets() once. Triage: the hit's current state lives on the hit (status, who,
-- when, reason), every action in hit_triage. Each sortable or filterable column has an index ending in
-- event_time_ms, so that keyset paging on (column, event_time_ms, id) walks an index in order.
ALTER TABLE hits ADD COLUMN tool TEXT COLLATE NOCASE;
ALTER TABLE hits ADD COLUMN destination TEXT COLLATE NOCASE;
ALTER TABLE hits ADD COLUMN host_name TEXT COLLATE NOCASE;
ALTER TABLE hits ADD COLUMN search_text TEXT;
ALTER TABLE hits ADD COLUMN facets_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hits ADD COLUMN triage_by TEXT;
ALTER TABLE hits ADD COLUMN triage_ms INTEGER;
ALTER TABLE hits ADD COLUMN triage_reason TEXT;
CREATE INDEX hits_by_risk ON hits(risk_score, event_time_ms);
CREATE INDEX hits_by_user ON hits(username, event_time_ms);
CREATE INDEX hits_by_user_nocase ON hits(username COLLATE NOCASE, event_time_ms);
CREATE INDEX hits_by_tool ON hits(tool, event_time_ms);
CREATE INDEX hits_by_destination ON hits(destination, event_time_ms);
CREATE INDEX hits_by_destination_ip ON hits(destination_ip, event_time_ms);
CREATE INDEX hits_by_host_name ON hits(host_name, event_time_ms);
CREATE INDEX hits_by_status ON hits(status, event_time_ms);
-- covers the overview's exact count of a partial hour (the roll-ups count whole hours)
CREATE INDEX hits_by_time_suppressed ON hits(event_time_ms, suppressed);
CREATE INDEX hits_by_guid ON hits(process_guid) WHERE process_guid IS NOT NULL;
CREATE INDEX hits_facets_stale ON hits(id) WHERE facets_version = 0;
CREATE TABLE hit_triage (
        id INTEGER PRIMARY KEY,
        hit_id INTEGER NOT NULL REFERENCES hits(id),
        action TEXT NOT NULL,             -- acknowledged | false_positive | escalated | new (reopened)
        reason TEXT,
        actor TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    );
CREATE INDEX hit_triage_by_hit ON hit_triage(hit_id, at_ms)
;
-- Roll-ups of the hits for the overview, kept current by triggers that app/store/rollup.py creates (trigger
-- bodies hold semicolons, which the migration runner splits on): hits per hour, per day and in total by rule
-- and suppressed, and the un-suppressed hit count per host, user, tool and destination. Without them the
-- overview reads every hit.
CREATE TABLE hit_hourly (
        hour_ms INTEGER NOT NULL,
        rule_id TEXT NOT NULL,
        suppressed INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (hour_ms, rule_id, suppressed)
    );
CREATE TABLE hit_daily (
        day_ms INTEGER NOT NULL,
        rule_id TEXT NOT NULL,
        suppressed INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (day_ms, rule_id, suppressed)
    );
CREATE TABLE hit_totals (
        rule_id TEXT NOT NULL,
        suppressed INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (rule_id, suppressed)
    );
CREATE TABLE hit_top (
        dim TEXT NOT NULL,                -- host | user | tool | destination
        value TEXT NOT NULL COLLATE NOCASE,
        n INTEGER NOT NULL,
        PRIMARY KEY (dim, value)
    );
CREATE INDEX hit_top_by_count ON hit_top(dim, n)
