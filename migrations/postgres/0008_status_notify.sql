-- Each change a status read can show is announced at commit to every relay instance listening
-- (relay/src/changes.rs): on `erp_btp_client`, payload the client's id, for any change to the
-- client (a revoked or new token), its subscription or whether it has a pending payment (each
-- instance's status cache forgets that client); on `erp_btp_subscription`, payload
-- "<version>:<client>", when a subscription's version moves (long polls wake). Triggers rather
-- than the code that writes: `relay clients revoke` in another process, or a later feature,
-- cannot forget to announce. Nothing deletes these rows.
CREATE FUNCTION erp_btp_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'clients' THEN
        PERFORM pg_notify('erp_btp_client', NEW.id);
        RETURN NULL;
    END IF;
    PERFORM pg_notify('erp_btp_client', NEW.client_id);
    IF TG_TABLE_NAME <> 'subscriptions' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.version <> OLD.version THEN
        PERFORM pg_notify('erp_btp_subscription', NEW.version || ':' || NEW.client_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER clients_announce AFTER INSERT OR UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION erp_btp_announce();
CREATE TRIGGER subscriptions_announce AFTER INSERT OR UPDATE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION erp_btp_announce();
-- A status shows whether a payment is pending: only the sessions entering or leaving `pending`.
CREATE TRIGGER checkout_sessions_announce_new AFTER INSERT ON checkout_sessions
    FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION erp_btp_announce();
CREATE TRIGGER checkout_sessions_announce_moved AFTER UPDATE OF state ON checkout_sessions
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND 'pending' IN (OLD.state, NEW.state))
    EXECUTE FUNCTION erp_btp_announce();
