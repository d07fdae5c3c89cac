-- 0012_routing_notify: tell sip-router when its routing data changes.
--
-- sip-router keeps voip.routing, the local domains, the users' credentials
-- and the trunks in memory (services/sip-router/routing.c) and LISTENs on
-- channel tandem_routing.  Every statement that writes one of the tables
-- behind that data sends one notification whose payload is the table name
-- (e.g. 'extensions'); the router waits a short debounce for more, then
-- reloads the whole snapshot in one transaction.
--
-- Statement-level triggers: a bulk import of 2,000 extensions is one
-- notification, not 2,000.  NOTIFY is transactional (delivered at commit,
-- nothing on rollback) and PostgreSQL folds identical notifications of one
-- transaction into one.  A statement that changes no row still notifies:
-- the cost is one spurious reload, and the routing data is small.
--
-- Idempotent: CREATE OR REPLACE for the function and the triggers.

CREATE OR REPLACE FUNCTION voip.routing_notify()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_catalog.pg_notify('tandem_routing', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION voip.routing_notify() IS
    'Statement trigger: pg_notify(''tandem_routing'', <table name>) so sip-router reloads its routing snapshot';

CREATE OR REPLACE TRIGGER routing_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON voip.domains
    FOR EACH STATEMENT EXECUTE FUNCTION voip.routing_notify();
COMMENT ON TRIGGER routing_notify ON voip.domains IS
    'NOTIFY tandem_routing: domains, realms and their enabled flag are routing data';

CREATE OR REPLACE TRIGGER routing_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON voip.users
    FOR EACH STATEMENT EXECUTE FUNCTION voip.routing_notify();
COMMENT ON TRIGGER routing_notify ON voip.users IS
    'NOTIFY tandem_routing: credentials (HA1s), max_contacts and enabled flags are routing data';

CREATE OR REPLACE TRIGGER routing_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON voip.extensions
    FOR EACH STATEMENT EXECUTE FUNCTION voip.routing_notify();
COMMENT ON TRIGGER routing_notify ON voip.extensions IS
    'NOTIFY tandem_routing: the extension model is the routing table';

CREATE OR REPLACE TRIGGER routing_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON voip.trunks
    FOR EACH STATEMENT EXECUTE FUNCTION voip.routing_notify();
COMMENT ON TRIGGER routing_notify ON voip.trunks IS
    'NOTIFY tandem_routing: trunk hosts, health (route order), inbound networks and enabled flags are routing data';

CREATE OR REPLACE TRIGGER routing_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON voip.queues
    FOR EACH STATEMENT EXECUTE FUNCTION voip.routing_notify();
COMMENT ON TRIGGER routing_notify ON voip.queues IS
    'NOTIFY tandem_routing: voip.routing carries queue names';

CREATE OR REPLACE TRIGGER routing_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON voip.ivr_menus
    FOR EACH STATEMENT EXECUTE FUNCTION voip.routing_notify();
COMMENT ON TRIGGER routing_notify ON voip.ivr_menus IS
    'NOTIFY tandem_routing: voip.routing carries IVR menu names';
