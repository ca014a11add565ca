-- Nothing on SQLite: PostgreSQL's 0010 changes what its triggers announce, and SQLite has none.
-- Kept so that both databases count the same migrations.
SELECT 1;
