-- Offense groups: un-suppressed hits grouped (by source host and user, tool or destination, within a time
-- window) into one LEEF event each, sent to QRadar's syslog so that its custom rule raises the offense.
-- A group is sent at most once, ever: its row (status sent or later) is what stops a second send after
-- a restart. status: pending (never tried), failed (tried, retried from next_attempt_ms), sent (waiting
-- for QRadar to show the offense), noted (the note is on the offense), no_offense (sent, but QRadar never
-- showed an offense for it in time), suppressed (every hit of it was suppressed before it was sent).
CREATE TABLE offense_groups (
        id INTEGER PRIMARY KEY,
        group_key TEXT NOT NULL UNIQUE,   -- hash of grouping, partition and window start: exfilwatchGroup
        grouping TEXT NOT NULL,           -- source_user | source_tool | source_destination
        partition_key TEXT NOT NULL,      -- JSON list of the grouped values, e.g. ["10.1.2.3", "CORP\\bob"]
        source_ip TEXT,
        username TEXT,
        tool TEXT,
        destination TEXT,
        window_start_ms INTEGER NOT NULL,
        window_end_ms INTEGER NOT NULL,   -- exclusive
        first_event_ms INTEGER NOT NULL,
        last_event_ms INTEGER NOT NULL,
        hit_count INTEGER NOT NULL DEFAULT 0,
        max_risk INTEGER,
        rule_ids_json TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_ms INTEGER,
        sent_ms INTEGER,
        hits_at_send INTEGER,
        offense_id INTEGER,
        note_id INTEGER,
        note_attempts INTEGER NOT NULL DEFAULT 0,
        next_note_ms INTEGER,
        noted_ms INTEGER,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE INDEX offense_groups_by_partition ON offense_groups(grouping, partition_key, window_start_ms);
    CREATE INDEX offense_groups_by_status ON offense_groups(status, window_start_ms);
    CREATE INDEX offense_groups_by_sent ON offense_groups(sent_ms) WHERE sent_ms IS NOT NULL;
    ALTER TABLE hits ADD COLUMN offense_group_id INTEGER REFERENCES offense_groups(id);
    CREATE INDEX hits_by_offense_group ON hits(offense_group_id) WHERE offense_group_id IS NOT NULL;
    CREATE INDEX hits_ungrouped ON hits(event_time_ms) WHERE offense_group_id IS NULL AND suppressed = 0
