-- Nothing reads the journal by session (an operator's look-up can scan: a few thousand events a
-- year per company), and every journalled event paid for this index. (PostgreSQL's 0011 also
-- announces subscription changes once per statement; SQLite has no triggers.)
DROP INDEX stripe_events_session;
