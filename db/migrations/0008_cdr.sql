-- 0008_cdr: call detail records, one row per call leg, partitioned by month.
--
-- The columns are a contract with cdr-writer (proto/tandem/cdr.proto maps
-- onto them) and the API; change them only together with those.
--
-- Partitioning: RANGE (start_time), one partition per calendar month in UTC
-- named voip.cdr_yYYYYmMM, created ahead of time by
-- voip.cdr_ensure_partitions() (0009), plus voip.cdr_default as a safety net
-- for rows outside every monthly partition.  Old months are dropped or
-- archived by detaching a partition: no bulk DELETE, no bloat.
--
-- Idempotency: cdr-writer inserts with
--     INSERT ... ON CONFLICT (leg_uuid, start_time) DO NOTHING
-- A unique index on a partitioned table must contain the partition key, so
-- the key is (leg_uuid, start_time) rather than leg_uuid alone.  That is
-- exact, not approximate: a replayed CDR is the same queued record, and its
-- start_time is parsed from the same body, so a duplicate always has the same
-- start_time and lands in the same partition, where the index catches it.
--
-- Indexes: each one costs insert throughput (target: > 10,000 rows/s in
-- 100-row batches), so there are only these, each with its reader named.
-- Measured costs are in docs/decisions/0002-cdr-partitioning.md.

CREATE TABLE IF NOT EXISTS voip.cdr (
    id                     bigint GENERATED ALWAYS AS IDENTITY,
    leg_uuid               text NOT NULL,
    call_uuid              text NOT NULL,
    leg                    text NOT NULL,
    source                 text NOT NULL,
    node                   text,
    direction              text,
    caller_id_number       text,
    caller_id_name         text,
    destination_number     text,
    context                text,
    domain                 text,
    accountcode            text,
    start_time             timestamptz NOT NULL,
    answer_time            timestamptz,
    end_time               timestamptz,
    duration_s             integer NOT NULL DEFAULT 0,
    billsec                integer NOT NULL DEFAULT 0,
    billmsec               bigint,
    hangup_cause           text,
    hangup_cause_q850      integer,
    sip_term_status        integer,
    sip_hangup_disposition text,
    sip_call_id            text,
    queue                  text,
    agent                  text,
    queue_joined_time      timestamptz,
    queue_answered_time    timestamptz,
    queue_cancel_reason    text,
    recording_path         text,
    mos                    real,
    received_at            timestamptz,
    remote_addr            text,
    inserted_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- (start_time, id): unique, and the order the API pages in, so one
    -- index serves both (every index costs insert throughput).
    CONSTRAINT cdr_pkey PRIMARY KEY (start_time, id),
    -- The idempotency key (see above).
    CONSTRAINT cdr_leg_uuid_start_time_key UNIQUE (leg_uuid, start_time),
    -- Mirrors the collector's validation; an empty uuid would make every
    -- such leg a "duplicate" of the first.
    CONSTRAINT cdr_uuids_ck CHECK (leg_uuid <> '' AND call_uuid <> ''),
    CONSTRAINT cdr_leg_ck CHECK (leg IN ('a', 'b', 'unknown')),
    CONSTRAINT cdr_source_ck CHECK (source IN ('freeswitch', 'sip-router'))
) PARTITION BY RANGE (start_time);

COMMENT ON TABLE voip.cdr IS
    'Call detail records, one row per leg. Partitioned by month on start_time (UTC), voip.cdr_yYYYYmMM + voip.cdr_default; idempotency key (leg_uuid, start_time)';
COMMENT ON COLUMN voip.cdr.id IS 'surrogate key, ascending in insert order; with start_time the primary key and the API''s keyset tiebreaker';
COMMENT ON COLUMN voip.cdr.leg_uuid IS 'the leg''s channel UUID (FreeSWITCH uuid or sip-router call id); with start_time the idempotency key';
COMMENT ON COLUMN voip.cdr.call_uuid IS 'groups the legs of one call: the A-leg''s uuid';
COMMENT ON COLUMN voip.cdr.leg IS 'a (originator), b (originated) or unknown';
COMMENT ON COLUMN voip.cdr.source IS 'freeswitch (mod_json_cdr POST) or sip-router (call that never reached media)';
COMMENT ON COLUMN voip.cdr.node IS 'FreeSWITCH switchname or sip-router node that produced the record';
COMMENT ON COLUMN voip.cdr.direction IS 'inbound | outbound | internal, as reported';
COMMENT ON COLUMN voip.cdr.domain IS 'SIP domain name (text, not a key: CDRs outlive domain renames and deletes)';
COMMENT ON COLUMN voip.cdr.start_time IS 'when the leg started (partition key); parsed from the CDR body, so identical on replay';
COMMENT ON COLUMN voip.cdr.answer_time IS 'NULL if never answered';
COMMENT ON COLUMN voip.cdr.duration_s IS 'end - start in seconds';
COMMENT ON COLUMN voip.cdr.billsec IS 'end - answer in seconds, 0 if unanswered';
COMMENT ON COLUMN voip.cdr.hangup_cause_q850 IS 'Q.850 cause code';
COMMENT ON COLUMN voip.cdr.sip_term_status IS 'final SIP status, e.g. 200, 486, 487';
COMMENT ON COLUMN voip.cdr.queue IS 'mod_callcenter cc_queue, NULL for calls that did not pass a queue';
COMMENT ON COLUMN voip.cdr.agent IS 'mod_callcenter cc_agent that answered';
COMMENT ON COLUMN voip.cdr.queue_cancel_reason IS 'cc_cancel_reason: NONE, TIMEOUT, NO_AGENT_TIMEOUT, EXIT_WITH_KEY';
COMMENT ON COLUMN voip.cdr.recording_path IS 'recording file, joins voip.recordings.path';
COMMENT ON COLUMN voip.cdr.mos IS 'audio inbound MOS; NULL = unknown';
COMMENT ON COLUMN voip.cdr.received_at IS 'when cdr-collector accepted the record';
COMMENT ON COLUMN voip.cdr.remote_addr IS 'address that posted the record to cdr-collector';
COMMENT ON COLUMN voip.cdr.inserted_at IS 'when cdr-writer inserted the row (clock_timestamp: per row, not per batch)';

-- The safety net: rows whose month has no partition yet land here instead of
-- failing the batch.  voip.cdr_create_partition() moves them out when their
-- month is created.  Normally empty.
CREATE TABLE IF NOT EXISTS voip.cdr_default PARTITION OF voip.cdr DEFAULT;
COMMENT ON TABLE voip.cdr_default IS
    'DEFAULT partition of voip.cdr: rows with no monthly partition yet; normally empty, emptied by voip.cdr_create_partition()';

-- API keyset pagination and time-range listing use the primary key:
--   WHERE start_time >= $from AND (start_time, id) < ($t, $id)
--   ORDER BY start_time DESC, id DESC LIMIT n
-- "All legs of this call" (API call view, recordings): every row has one.
CREATE INDEX IF NOT EXISTS cdr_call_uuid_idx ON voip.cdr (call_uuid);
-- API filter by caller / by dialled number, in time order for pagination.
-- Partial: rows without the value are never searched for it.
CREATE INDEX IF NOT EXISTS cdr_caller_idx
    ON voip.cdr (caller_id_number, start_time, id) WHERE caller_id_number IS NOT NULL;
CREATE INDEX IF NOT EXISTS cdr_destination_idx
    ON voip.cdr (destination_number, start_time, id) WHERE destination_number IS NOT NULL;
-- Call-center reports per queue and per agent; only queue calls carry them.
CREATE INDEX IF NOT EXISTS cdr_queue_idx
    ON voip.cdr (queue, start_time, id) WHERE queue IS NOT NULL;
CREATE INDEX IF NOT EXISTS cdr_agent_idx
    ON voip.cdr (agent, start_time, id) WHERE agent IS NOT NULL;
-- Troubleshooting: find the CDR of a SIP trace by its Call-ID.
CREATE INDEX IF NOT EXISTS cdr_sip_call_id_idx
    ON voip.cdr (sip_call_id) WHERE sip_call_id IS NOT NULL;
