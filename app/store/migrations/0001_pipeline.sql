-- The pipeline's ledger, hits, runs, configuration and audit trail.
CREATE TABLE rule_state (
        rule_id TEXT PRIMARY KEY,
        checkpoint_ms INTEGER,
        disabled_reason TEXT,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE windows (
        id INTEGER PRIMARY KEY,
        rule_id TEXT NOT NULL,
        kind TEXT NOT NULL,               -- scheduled | hunt
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        status TEXT NOT NULL,             -- pending | running | done | failed | split
        attempts INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        parent_id INTEGER REFERENCES windows(id),
        rows INTEGER,
        hits INTEGER,
        new_hits INTEGER,
        restarts INTEGER NOT NULL DEFAULT 0,
        truncated INTEGER NOT NULL DEFAULT 0,
        planned_ms INTEGER NOT NULL,
        started_ms INTEGER,
        finished_ms INTEGER
    );
    CREATE INDEX windows_by_rule ON windows(rule_id, status, start_ms);
    CREATE TABLE hits (
        id INTEGER PRIMARY KEY,
        identity TEXT NOT NULL UNIQUE,
        rule_id TEXT NOT NULL,
        window_id INTEGER NOT NULL REFERENCES windows(id),
        event_time_ms INTEGER NOT NULL,
        source_ip TEXT,
        destination_ip TEXT,
        destination_port INTEGER,
        username TEXT,
        event_id TEXT,
        process_image TEXT,
        command_line TEXT,
        process_guid TEXT,
        log_source_id INTEGER,
        qid INTEGER,
        payload TEXT,
        fields_json TEXT NOT NULL,        -- every column the rule returned, as the console named it
        enrichment_json TEXT,
        risk_score INTEGER,
        suppressed INTEGER NOT NULL DEFAULT 0,
        exception_id INTEGER,
        status TEXT NOT NULL DEFAULT 'new',
        created_ms INTEGER NOT NULL
    );
    CREATE INDEX hits_by_time ON hits(event_time_ms);
    CREATE INDEX hits_by_rule ON hits(rule_id, event_time_ms);
    CREATE INDEX hits_by_source ON hits(source_ip, event_time_ms);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        rule_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        finished_ms INTEGER,
        status TEXT NOT NULL,             -- running | ok | partial | failed
        windows_done INTEGER NOT NULL DEFAULT 0,
        windows_failed INTEGER NOT NULL DEFAULT 0,
        new_hits INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    CREATE TABLE config (
        key TEXT PRIMARY KEY,
        value_json TEXT NOT NULL,
        updated_ms INTEGER NOT NULL,
        updated_by TEXT NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail_json TEXT
    );
