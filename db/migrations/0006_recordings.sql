-- 0006_recordings: what to record (policies) and what was recorded.
--
-- Policies: at most one per domain (the default), per extension and per
-- queue.  The most specific wins: extension, then queue, then domain; no
-- policy at all means "do not record".  voip.recording_policy_for() applies
-- that rule.
--
-- Recordings: one row per file; recording-syncer drives the state machine
--   tmpfs -> stored -> replicated -> expired
-- A recording links to its CDR leg by leg_uuid (no foreign key: voip.cdr is
-- partitioned and its key includes start_time, and the recording may be
-- written before the CDR arrives).

CREATE TABLE IF NOT EXISTS voip.recording_policies (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id      bigint NOT NULL REFERENCES voip.domains (id) ON DELETE CASCADE,
    extension_id   bigint,
    queue_id       bigint,
    record         boolean NOT NULL,
    stereo         boolean NOT NULL DEFAULT true,
    retention_days integer,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT recording_policies_extension_fk FOREIGN KEY (domain_id, extension_id)
        REFERENCES voip.extensions (domain_id, id) ON DELETE CASCADE,
    CONSTRAINT recording_policies_queue_fk FOREIGN KEY (domain_id, queue_id)
        REFERENCES voip.queues (domain_id, id) ON DELETE CASCADE,
    CONSTRAINT recording_policies_scope_ck CHECK (num_nonnulls(extension_id, queue_id) <= 1),
    CONSTRAINT recording_policies_retention_ck CHECK (retention_days > 0)
);
COMMENT ON TABLE voip.recording_policies IS
    'Whether calls are recorded: per domain (both ids NULL), per extension or per queue; extension beats queue beats domain';
COMMENT ON COLUMN voip.recording_policies.stereo IS 'caller and callee on separate channels (RECORD_STEREO)';
COMMENT ON COLUMN voip.recording_policies.retention_days IS 'days recording-syncer keeps the files; NULL = forever';

CREATE UNIQUE INDEX IF NOT EXISTS recording_policies_domain_key
    ON voip.recording_policies (domain_id) WHERE extension_id IS NULL AND queue_id IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS recording_policies_extension_key
    ON voip.recording_policies (extension_id) WHERE extension_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS recording_policies_queue_key
    ON voip.recording_policies (queue_id) WHERE queue_id IS NOT NULL;

CREATE OR REPLACE TRIGGER recording_policies_touch BEFORE UPDATE ON voip.recording_policies
    FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

-- The policy that applies to a call in p_domain to p_extension (a dialled
-- number) that went through p_queue (a queue name; NULL if none).
CREATE OR REPLACE FUNCTION voip.recording_policy_for(p_domain text, p_extension text, p_queue text)
RETURNS TABLE (record boolean, stereo boolean, retention_days integer, scope text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.record, p.stereo, p.retention_days,
           CASE WHEN p.extension_id IS NOT NULL THEN 'extension'
                WHEN p.queue_id IS NOT NULL THEN 'queue'
                ELSE 'domain' END
      FROM voip.recording_policies p
      JOIN voip.domains d ON d.id = p.domain_id
      LEFT JOIN voip.extensions e ON e.id = p.extension_id
      LEFT JOIN voip.queues q ON q.id = p.queue_id
     WHERE d.name = p_domain
       AND (p.extension_id IS NULL OR (e.number = p_extension AND e.type <> 'trunk_out'))
       AND (p.queue_id IS NULL OR q.name = p_queue)
     ORDER BY (p.extension_id IS NOT NULL) DESC, (p.queue_id IS NOT NULL) DESC
     LIMIT 1
$$;
COMMENT ON FUNCTION voip.recording_policy_for(text, text, text) IS
    'The recording policy for a call: extension policy, else queue policy, else domain policy; no row = do not record';

CREATE TABLE IF NOT EXISTS voip.recordings (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    leg_uuid      text NOT NULL,
    call_uuid     text,
    node          text NOT NULL,
    path          text NOT NULL,
    state         text NOT NULL DEFAULT 'tmpfs',
    size_bytes    bigint,
    sha256        text,
    duration_ms   integer,
    started_at    timestamptz,
    ended_at      timestamptz,
    stored_at     timestamptz,
    replicated_at timestamptz,
    expires_at    timestamptz,
    expired_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT recordings_node_path_key UNIQUE (node, path),
    CONSTRAINT recordings_state_ck CHECK (state IN ('tmpfs', 'stored', 'replicated', 'expired')),
    CONSTRAINT recordings_path_ck CHECK (path LIKE '/%'),
    CONSTRAINT recordings_size_ck CHECK (size_bytes >= 0),
    CONSTRAINT recordings_sha256_ck CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT recordings_duration_ck CHECK (duration_ms >= 0),
    -- Once on storage, the file has a known size and checksum.
    CONSTRAINT recordings_stored_ck CHECK (
        state = 'tmpfs' OR (stored_at IS NOT NULL AND size_bytes IS NOT NULL AND sha256 IS NOT NULL)),
    CONSTRAINT recordings_replicated_ck CHECK (state <> 'replicated' OR replicated_at IS NOT NULL),
    CONSTRAINT recordings_expired_ck CHECK (state <> 'expired' OR expired_at IS NOT NULL)
);
COMMENT ON TABLE voip.recordings IS
    'Call recordings: one row per file, linked to the CDR leg by leg_uuid; recording-syncer moves state tmpfs -> stored -> replicated -> expired';
COMMENT ON COLUMN voip.recordings.leg_uuid IS 'voip.cdr.leg_uuid of the recorded leg (no FK: CDR is partitioned and may arrive later)';
COMMENT ON COLUMN voip.recordings.node IS 'node that recorded the file (where the tmpfs copy was)';
COMMENT ON COLUMN voip.recordings.path IS 'absolute path on storage (the same on both nodes once replicated)';
COMMENT ON COLUMN voip.recordings.state IS
    'tmpfs: being written or waiting on the recording node; stored: on durable storage, checksummed; replicated: also on the peer; expired: deleted by retention';
COMMENT ON COLUMN voip.recordings.sha256 IS 'hex SHA-256 of the stored file, checked again after replication';
COMMENT ON COLUMN voip.recordings.expires_at IS 'when retention deletes it (from the recording policy); NULL = keep';

-- The API's "recordings of this call/leg".
CREATE INDEX IF NOT EXISTS recordings_leg_uuid_idx ON voip.recordings (leg_uuid);
-- recording-syncer's work list: files not yet on both nodes.
CREATE INDEX IF NOT EXISTS recordings_pending_idx
    ON voip.recordings (created_at) WHERE state IN ('tmpfs', 'stored');
-- Retention: files due for deletion.
CREATE INDEX IF NOT EXISTS recordings_expiry_idx
    ON voip.recordings (expires_at) WHERE state <> 'expired' AND expires_at IS NOT NULL;

CREATE OR REPLACE TRIGGER recordings_touch BEFORE UPDATE ON voip.recordings
    FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();
