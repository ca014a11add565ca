-- Nothing on SQLite: PostgreSQL's 0008 makes the database announce every change a status read
-- can show, for the status cache and the other instances. SQLite cannot tell another process,
-- so the relay keeps no status cache on it (relay/src/status_cache.rs). Kept so that both
-- databases count the same migrations.
SELECT 1;
