-- 0011_monitoring: node health and failover history, for health-agent and
-- failover-coordinator.

CREATE TABLE IF NOT EXISTS monitoring.node_health (
    node       text NOT NULL,
    component  text NOT NULL,
    healthy    boolean NOT NULL,
    detail     text,
    checked_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT node_health_pkey PRIMARY KEY (node, component),
    CONSTRAINT node_health_node_ck CHECK (node <> ''),
    CONSTRAINT node_health_component_ck CHECK (component <> '')
);
COMMENT ON TABLE monitoring.node_health IS
    'Latest health per node and component (postgresql, redis, freeswitch, sip-router, ...), upserted by health-agent';
COMMENT ON COLUMN monitoring.node_health.detail IS 'human-readable reason, e.g. the failing probe''s error';
COMMENT ON COLUMN monitoring.node_health.checked_at IS 'time of the probe that produced this row';

CREATE TABLE IF NOT EXISTS monitoring.failover_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    new_primary  text NOT NULL,
    old_primary  text,
    reason       text NOT NULL,
    epoch        bigint,
    initiated_by text,
    detail       jsonb,
    CONSTRAINT failover_events_new_primary_ck CHECK (new_primary <> ''),
    CONSTRAINT failover_events_changed_ck CHECK (old_primary IS DISTINCT FROM new_primary)
);
COMMENT ON TABLE monitoring.failover_events IS
    'History of primary changes (PostgreSQL, Redis, virtual IP) written by failover-coordinator on the new primary';
COMMENT ON COLUMN monitoring.failover_events.new_primary IS 'node that became primary';
COMMENT ON COLUMN monitoring.failover_events.old_primary IS 'node that was primary before, NULL at first election';
COMMENT ON COLUMN monitoring.failover_events.reason IS 'why, e.g. "peer postgresql unreachable for 6 s", "operator switchover"';
COMMENT ON COLUMN monitoring.failover_events.epoch IS 'coordinator election term/fencing token, if it uses one';
COMMENT ON COLUMN monitoring.failover_events.initiated_by IS 'coordinator instance or operator that decided';
COMMENT ON COLUMN monitoring.failover_events.detail IS 'structured extras (votes, lag at promotion, ...)';

-- "Recent failovers", newest first.
CREATE INDEX IF NOT EXISTS failover_events_occurred_at_idx ON monitoring.failover_events (occurred_at);
