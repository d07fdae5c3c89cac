-- 0004_callcenter: queues, agents and tiers, with mod_callcenter semantics
-- (shared/testdata/freeswitch/callcenter.md).  Parameter names map 1:1 to
-- callcenter.conf params; the api-gateway renders them for FreeSWITCH.
--
-- Only configuration lives here.  Runtime agent status/state, tier state and
-- waiting members are mod_callcenter's own (its odbc-dsn/sqlite tables).
--
-- A FreeSWITCH agent is global across queues while tiers are per queue, so
-- the agent parameters (max-no-answer, wrap-up-time, ...) sit in voip.agents
-- and queue_members is the tier (queue, agent, level, position).

CREATE TABLE IF NOT EXISTS voip.queues (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id                   bigint NOT NULL REFERENCES voip.domains (id) ON DELETE CASCADE,
    name                        text NOT NULL,
    strategy                    text NOT NULL DEFAULT 'longest-idle-agent',
    moh_sound                   text,
    announce_sound              text,
    announce_frequency_s        integer NOT NULL DEFAULT 0,
    time_base_score             text NOT NULL DEFAULT 'queue',
    max_wait_time_s             integer NOT NULL DEFAULT 0,
    max_wait_time_with_no_agent_s integer NOT NULL DEFAULT 0,
    max_wait_time_with_no_agent_time_reached_s integer NOT NULL DEFAULT 5,
    tier_rules_apply            boolean NOT NULL DEFAULT false,
    tier_rule_wait_second       integer NOT NULL DEFAULT 0,
    tier_rule_wait_multiply_level boolean NOT NULL DEFAULT false,
    tier_rule_no_agent_no_wait  boolean NOT NULL DEFAULT true,
    discard_abandoned_after_s   integer NOT NULL DEFAULT 60,
    abandoned_resume_allowed    boolean NOT NULL DEFAULT false,
    ring_progressively_delay_s  integer NOT NULL DEFAULT 10,
    agent_no_answer_status      text NOT NULL DEFAULT 'On Break',
    skip_agents_with_external_calls boolean NOT NULL DEFAULT true,
    description                 text,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT queues_domain_name_key UNIQUE (domain_id, name),
    CONSTRAINT queues_domain_id_id_key UNIQUE (domain_id, id),
    CONSTRAINT queues_name_ck CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    CONSTRAINT queues_strategy_ck CHECK (strategy IN (
        'ring-all', 'longest-idle-agent', 'round-robin', 'top-down',
        'agent-with-least-talk-time', 'agent-with-fewest-calls',
        'sequentially-by-agent-order', 'random', 'ring-progressively')),
    CONSTRAINT queues_time_base_score_ck CHECK (time_base_score IN ('queue', 'system')),
    CONSTRAINT queues_agent_no_answer_status_ck CHECK (agent_no_answer_status IN (
        'Logged Out', 'Available', 'Available (On Demand)', 'On Break')),
    CONSTRAINT queues_seconds_ck CHECK (
        announce_frequency_s >= 0 AND max_wait_time_s >= 0
        AND max_wait_time_with_no_agent_s >= 0
        AND max_wait_time_with_no_agent_time_reached_s >= 0
        AND tier_rule_wait_second >= 0 AND discard_abandoned_after_s >= 0
        AND ring_progressively_delay_s >= 0)
);
COMMENT ON TABLE voip.queues IS
    'mod_callcenter queues (name@domain). Columns are callcenter.conf queue params; code defaults as in mod_callcenter';
COMMENT ON COLUMN voip.queues.name IS 'queue name; FreeSWITCH sees it as name@domain';
COMMENT ON COLUMN voip.queues.strategy IS 'agent selection strategy (callcenter.md); default longest-idle-agent';
COMMENT ON COLUMN voip.queues.moh_sound IS 'moh-sound: what waiting callers hear; NULL = FreeSWITCH default';
COMMENT ON COLUMN voip.queues.max_wait_time_s IS 'max-wait-time: caller leaves with cancel reason TIMEOUT; 0 = no limit';
COMMENT ON COLUMN voip.queues.max_wait_time_with_no_agent_s IS 'max-wait-time-with-no-agent (NO_AGENT_TIMEOUT); 0 = no limit';
COMMENT ON COLUMN voip.queues.agent_no_answer_status IS 'status an agent is put in after max_no_answer unanswered offers';

CREATE OR REPLACE TRIGGER queues_touch BEFORE UPDATE ON voip.queues
    FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

CREATE TABLE IF NOT EXISTS voip.agents (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id              bigint NOT NULL,
    user_id                bigint NOT NULL,
    type                   text NOT NULL DEFAULT 'callback',
    contact                text,
    max_no_answer          integer NOT NULL DEFAULT 3,
    wrap_up_time_s         integer NOT NULL DEFAULT 10,
    reject_delay_time_s    integer NOT NULL DEFAULT 10,
    busy_delay_time_s      integer NOT NULL DEFAULT 60,
    no_answer_delay_time_s integer NOT NULL DEFAULT 60,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agents_user_key UNIQUE (user_id),
    CONSTRAINT agents_domain_id_id_key UNIQUE (domain_id, id),
    CONSTRAINT agents_user_fk FOREIGN KEY (domain_id, user_id)
        REFERENCES voip.users (domain_id, id) ON DELETE CASCADE,
    CONSTRAINT agents_type_ck CHECK (type IN ('callback', 'uuid-standby')),
    CONSTRAINT agents_timers_ck CHECK (
        max_no_answer >= 0 AND wrap_up_time_s >= 0 AND reject_delay_time_s >= 0
        AND busy_delay_time_s >= 0 AND no_answer_delay_time_s >= 0)
);
COMMENT ON TABLE voip.agents IS
    'mod_callcenter agents: a user who takes queue calls (agent name = username@domain). Runtime status/state live in mod_callcenter';
COMMENT ON COLUMN voip.agents.contact IS 'originate string for callback agents; NULL = the user''s registered contacts via sip-router';
COMMENT ON COLUMN voip.agents.max_no_answer IS 'max-no-answer: consecutive unanswered offers before the queue''s agent_no_answer_status; 0 = never';
COMMENT ON COLUMN voip.agents.wrap_up_time_s IS 'wrap-up-time: seconds after a queue call before the next offer';
COMMENT ON COLUMN voip.agents.reject_delay_time_s IS 'reject-delay-time: back-off after CALL_REJECTED';
COMMENT ON COLUMN voip.agents.busy_delay_time_s IS 'busy-delay-time: back-off after USER_BUSY / NORMAL_CIRCUIT_CONGESTION';
COMMENT ON COLUMN voip.agents.no_answer_delay_time_s IS 'no-answer-delay-time: back-off after any other failed offer';

CREATE OR REPLACE TRIGGER agents_touch BEFORE UPDATE ON voip.agents
    FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

CREATE TABLE IF NOT EXISTS voip.queue_members (
    queue_id   bigint NOT NULL,
    agent_id   bigint NOT NULL,
    domain_id  bigint NOT NULL,
    level      integer NOT NULL DEFAULT 1,
    position   integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT queue_members_pkey PRIMARY KEY (queue_id, agent_id),
    CONSTRAINT queue_members_queue_fk FOREIGN KEY (domain_id, queue_id)
        REFERENCES voip.queues (domain_id, id) ON DELETE CASCADE,
    CONSTRAINT queue_members_agent_fk FOREIGN KEY (domain_id, agent_id)
        REFERENCES voip.agents (domain_id, id) ON DELETE CASCADE,
    CONSTRAINT queue_members_level_ck CHECK (level >= 1),
    CONSTRAINT queue_members_position_ck CHECK (position >= 1)
);
COMMENT ON TABLE voip.queue_members IS
    'mod_callcenter tiers: which agents serve which queue. Lower level is tried first; position orders agents inside a level';
COMMENT ON COLUMN voip.queue_members.domain_id IS 'copy of the queue''s and agent''s domain; the composite keys forbid cross-domain tiers';

-- "Which queues does this agent serve" (agent UI, agent deletes cascade).
CREATE INDEX IF NOT EXISTS queue_members_agent_idx ON voip.queue_members (agent_id);

CREATE OR REPLACE TRIGGER queue_members_touch BEFORE UPDATE ON voip.queue_members
    FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();
