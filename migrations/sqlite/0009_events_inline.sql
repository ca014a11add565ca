-- Nothing on SQLite: PostgreSQL's 0009 keeps raw events uncompressed in their rows, which
-- SQLite always does. Kept so that both databases count the same migrations.
SELECT 1;
