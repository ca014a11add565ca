-- A Stripe event (2 to 4 KB of JSON) is kept in its row as received, uncompressed: above
-- PostgreSQL's default 2 KB target every journalled event was compressed with pglz in the
-- webhook's transaction, which cost the busiest writer about a tenth of its time. Events are a
-- few thousand a year per company; the space is not worth that time.
ALTER TABLE stripe_events SET (toast_tuple_target = 8160);
