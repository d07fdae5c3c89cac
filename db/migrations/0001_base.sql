-- 0001_base: the schemas and the helpers every later migration uses.
--
-- voip:       the system of record (directory, routing, call center,
--             recordings, API keys, CDRs).
-- monitoring: operational bookkeeping (migrations, node health, failovers).
--
-- There is deliberately no kamailio schema: sip-router reads voip.* itself.
-- Migrations run inside one transaction each (db-migrate), must not contain
-- BEGIN/COMMIT, and are written to be harmless when re-run.

CREATE SCHEMA IF NOT EXISTS voip;
CREATE SCHEMA IF NOT EXISTS monitoring;

COMMENT ON SCHEMA voip IS
    'tandem system of record: domains, users, extensions, queues, IVR, trunks, recordings, API keys, CDRs';
COMMENT ON SCHEMA monitoring IS
    'tandem operational bookkeeping: schema migrations, node health, failover events';

-- db-migrate creates this table before it runs anything (it needs it to know
-- what is applied); repeating the definition here documents it and keeps a
-- hand-run of this file complete.
CREATE TABLE IF NOT EXISTS monitoring.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    sha256     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE monitoring.schema_migrations IS
    'One row per applied db/migrations/NNNN_name.sql file; written by db-migrate only';
COMMENT ON COLUMN monitoring.schema_migrations.version IS 'NNNN from the file name';
COMMENT ON COLUMN monitoring.schema_migrations.name IS 'the file name without NNNN_ and .sql';
COMMENT ON COLUMN monitoring.schema_migrations.sha256 IS
    'hex SHA-256 of the file bytes when applied; db-migrate refuses to run if the file changed since';

-- Keeps updated_at honest without every writer having to remember it.
CREATE OR REPLACE FUNCTION voip.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION voip.touch_updated_at() IS
    'BEFORE UPDATE trigger: sets NEW.updated_at to the transaction time';
