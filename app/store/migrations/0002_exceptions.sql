-- Tuning exceptions. Rows are never deleted: a deleted exception keeps its row (deleted_ms set) so that
-- the hits it suppressed and the audit trail still name it. Conditions are a JSON list, validated by
-- app/store/exceptions.py before they are written.
CREATE TABLE exceptions (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        rule_id TEXT,                     -- NULL: every rule
        conditions_json TEXT NOT NULL,    -- [{field, op, value}], all must hold
        reason TEXT NOT NULL,
        author TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        updated_by TEXT NOT NULL,
        expires_ms INTEGER,               -- NULL: never expires
        enabled INTEGER NOT NULL DEFAULT 1,
        push_down INTEGER NOT NULL DEFAULT 0,
        deleted_ms INTEGER
    );
    CREATE UNIQUE INDEX exceptions_live_name ON exceptions(name) WHERE deleted_ms IS NULL;
    -- Events a pushed-down exception kept out of a rule's results, counted per searched span. Spans of
    -- one (exception, rule) never overlap, so the sum is the number of events, whatever windows searched them.
    CREATE TABLE exception_suppressed_counts (
        exception_id INTEGER NOT NULL REFERENCES exceptions(id),
        rule_id TEXT NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        events INTEGER NOT NULL,
        counted_ms INTEGER NOT NULL,
        PRIMARY KEY (exception_id, rule_id, start_ms)
    );
    CREATE INDEX hits_by_exception ON hits(exception_id) WHERE exception_id IS NOT NULL
