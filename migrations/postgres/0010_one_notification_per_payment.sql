-- One announcement per subscription change instead of two: a version that moves is announced
-- on `erp_btp_subscription` alone ("<version>:<client>"), which the listeners take as a change
-- to that client too (relay/src/changes.rs); every other change is announced on
-- `erp_btp_client` as before. Under webhook load this halves the notifications each payment
-- sends through every instance's LISTEN connection. (The IFs are nested: `NEW.version` exists
-- on subscriptions only, and an expression is planned whole.)
CREATE OR REPLACE FUNCTION erp_btp_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'clients' THEN
        PERFORM pg_notify('erp_btp_client', NEW.id);
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'subscriptions' THEN
        IF TG_OP = 'INSERT' OR NEW.version <> OLD.version THEN
            PERFORM pg_notify('erp_btp_subscription', NEW.version || ':' || NEW.client_id);
            RETURN NULL;
        END IF;
    END IF;
    PERFORM pg_notify('erp_btp_client', NEW.client_id);
    RETURN NULL;
END $$;
