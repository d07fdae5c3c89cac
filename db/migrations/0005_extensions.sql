-- 0005_extensions: the unified extension model, and the IVR menus it uses.
--
-- voip.extensions has one row per dialable number per domain.  Its type says
-- what the number reaches and which single reference column is set:
--
--   type        target column   what happens
--   user        user_id         call the user's registered contacts
--   voicemail   user_id / NULL  FreeSWITCH voicemail: deposit into that
--                               user's box, or (NULL) the caller's own menu
--   queue       queue_id        FreeSWITCH mod_callcenter queue
--   ivr         ivr_menu_id     FreeSWITCH IVR menu
--   conference  (none)          FreeSWITCH conference room named number@domain
--   trunk_out   trunk_id        outbound route: number is a dial PREFIX;
--                               strip_digits/prepend rewrite it; several rows
--                               per prefix are tried in priority order
--
-- Routing (view voip.routing): an exact match among non-trunk numbers wins;
-- otherwise the longest trunk_out prefix, lowest priority value first.
-- IVR entries come after extensions because an entry may transfer to one.

CREATE TABLE IF NOT EXISTS voip.ivr_menus (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id              bigint NOT NULL REFERENCES voip.domains (id) ON DELETE CASCADE,
    name                   text NOT NULL,
    greet_long             text,
    greet_short            text,
    invalid_sound          text,
    exit_sound             text,
    timeout_ms             integer NOT NULL DEFAULT 10000,
    inter_digit_timeout_ms integer NOT NULL DEFAULT 2000,
    max_failures           integer NOT NULL DEFAULT 3,
    max_timeouts           integer NOT NULL DEFAULT 3,
    digit_len              integer NOT NULL DEFAULT 4,
    description            text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ivr_menus_domain_name_key UNIQUE (domain_id, name),
    CONSTRAINT ivr_menus_domain_id_id_key UNIQUE (domain_id, id),
    CONSTRAINT ivr_menus_name_ck CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    CONSTRAINT ivr_menus_limits_ck CHECK (
        timeout_ms > 0 AND inter_digit_timeout_ms > 0 AND max_failures >= 1
        AND max_timeouts >= 1 AND digit_len BETWEEN 1 AND 32)
);
COMMENT ON TABLE voip.ivr_menus IS
    'FreeSWITCH IVR menus (mod_dptools ivr); params map to ivr.conf menu attributes';
COMMENT ON COLUMN voip.ivr_menus.greet_long IS 'sound played when the menu starts';
COMMENT ON COLUMN voip.ivr_menus.greet_short IS 'sound played when the menu repeats';
COMMENT ON COLUMN voip.ivr_menus.digit_len IS 'most digits collected for one choice';

CREATE OR REPLACE TRIGGER ivr_menus_touch BEFORE UPDATE ON voip.ivr_menus
    FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

CREATE TABLE IF NOT EXISTS voip.extensions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id    bigint NOT NULL REFERENCES voip.domains (id) ON DELETE CASCADE,
    number       text NOT NULL,
    type         text NOT NULL,
    user_id      bigint,
    queue_id     bigint,
    ivr_menu_id  bigint,
    trunk_id     bigint REFERENCES voip.trunks (id),
    strip_digits integer NOT NULL DEFAULT 0,
    prepend      text NOT NULL DEFAULT '',
    priority     integer NOT NULL DEFAULT 100,
    enabled      boolean NOT NULL DEFAULT true,
    description  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT extensions_domain_id_id_key UNIQUE (domain_id, id),
    -- The targets must be in the extension's own domain.
    CONSTRAINT extensions_user_fk FOREIGN KEY (domain_id, user_id)
        REFERENCES voip.users (domain_id, id),
    CONSTRAINT extensions_queue_fk FOREIGN KEY (domain_id, queue_id)
        REFERENCES voip.queues (domain_id, id),
    CONSTRAINT extensions_ivr_menu_fk FOREIGN KEY (domain_id, ivr_menu_id)
        REFERENCES voip.ivr_menus (domain_id, id),
    CONSTRAINT extensions_type_ck CHECK (type IN (
        'user', 'queue', 'ivr', 'voicemail', 'trunk_out', 'conference')),
    -- Exactly the reference the type needs is set, no other (one constraint
    -- per column so a violation names the column at fault).
    CONSTRAINT extensions_user_ref_ck CHECK (
        CASE type WHEN 'user' THEN user_id IS NOT NULL
                  WHEN 'voicemail' THEN true
                  ELSE user_id IS NULL END),
    CONSTRAINT extensions_queue_ref_ck CHECK ((queue_id IS NOT NULL) = (type = 'queue')),
    CONSTRAINT extensions_ivr_ref_ck CHECK ((ivr_menu_id IS NOT NULL) = (type = 'ivr')),
    CONSTRAINT extensions_trunk_ref_ck CHECK ((trunk_id IS NOT NULL) = (type = 'trunk_out')),
    -- Dialable digits; a trunk_out prefix may be empty (the default route).
    CONSTRAINT extensions_number_ck CHECK (
        number ~ '^[0-9*#+]{0,32}$' AND (number <> '' OR type = 'trunk_out')),
    CONSTRAINT extensions_prepend_ck CHECK (prepend ~ '^[0-9*#+]{0,32}$'),
    CONSTRAINT extensions_strip_digits_ck CHECK (strip_digits BETWEEN 0 AND 32),
    -- Rewrites only mean something on outbound routes.
    CONSTRAINT extensions_rewrite_ck CHECK (
        type = 'trunk_out' OR (strip_digits = 0 AND prepend = '' AND priority = 100))
);
COMMENT ON TABLE voip.extensions IS
    'Unified extension model: one row per dialable number per domain; type selects the target (see 0005_extensions.sql and docs/schema.md)';
COMMENT ON COLUMN voip.extensions.number IS
    'the dialled digits; for trunk_out a prefix matched against the start of the dialled number ('''' = any number)';
COMMENT ON COLUMN voip.extensions.type IS 'user | queue | ivr | voicemail | trunk_out | conference';
COMMENT ON COLUMN voip.extensions.user_id IS 'type user: the user called; type voicemail: the mailbox owner (NULL = caller''s own mailbox)';
COMMENT ON COLUMN voip.extensions.strip_digits IS 'trunk_out: leading digits removed from the dialled number before prepend';
COMMENT ON COLUMN voip.extensions.prepend IS 'trunk_out: digits put in front after stripping';
COMMENT ON COLUMN voip.extensions.priority IS 'trunk_out: among routes with the same prefix, lower is tried first';
COMMENT ON COLUMN voip.extensions.enabled IS 'false: the number is not routed (the row stays for history and re-enabling)';

-- The routing key: one non-trunk row per number and domain.
CREATE UNIQUE INDEX IF NOT EXISTS extensions_domain_number_key
    ON voip.extensions (domain_id, number) WHERE type <> 'trunk_out';
-- Outbound routes: one row per prefix and trunk; priorities order the trunks.
CREATE UNIQUE INDEX IF NOT EXISTS extensions_domain_prefix_trunk_key
    ON voip.extensions (domain_id, number, trunk_id) WHERE type = 'trunk_out';
-- "Which numbers reach this user" (directory caller id, user deletes).
CREATE INDEX IF NOT EXISTS extensions_user_idx
    ON voip.extensions (user_id) WHERE user_id IS NOT NULL;

CREATE OR REPLACE TRIGGER extensions_touch BEFORE UPDATE ON voip.extensions
    FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

CREATE TABLE IF NOT EXISTS voip.ivr_entries (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id           bigint NOT NULL,
    menu_id             bigint NOT NULL,
    digits              text NOT NULL,
    action              text NOT NULL,
    target_extension_id bigint,
    target_menu_id      bigint,
    sound               text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ivr_entries_menu_digits_key UNIQUE (menu_id, digits),
    CONSTRAINT ivr_entries_menu_fk FOREIGN KEY (domain_id, menu_id)
        REFERENCES voip.ivr_menus (domain_id, id) ON DELETE CASCADE,
    CONSTRAINT ivr_entries_extension_fk FOREIGN KEY (domain_id, target_extension_id)
        REFERENCES voip.extensions (domain_id, id),
    CONSTRAINT ivr_entries_target_menu_fk FOREIGN KEY (domain_id, target_menu_id)
        REFERENCES voip.ivr_menus (domain_id, id),
    CONSTRAINT ivr_entries_digits_ck CHECK (digits ~ '^[0-9*#]{1,32}$'),
    CONSTRAINT ivr_entries_action_ck CHECK (action IN (
        'transfer', 'submenu', 'play', 'top', 'back', 'exit')),
    CONSTRAINT ivr_entries_transfer_ck CHECK ((target_extension_id IS NOT NULL) = (action = 'transfer')),
    CONSTRAINT ivr_entries_submenu_ck CHECK ((target_menu_id IS NOT NULL) = (action = 'submenu')),
    CONSTRAINT ivr_entries_play_ck CHECK ((sound IS NOT NULL) = (action = 'play')),
    CONSTRAINT ivr_entries_not_self_ck CHECK (target_menu_id <> menu_id)
);
COMMENT ON TABLE voip.ivr_entries IS
    'IVR choices: digits pressed in a menu -> action. FreeSWITCH: transfer = menu-exec-app transfer, submenu = menu-sub, play = menu-play-sound, top/back/exit = menu-top/back/exit';
COMMENT ON COLUMN voip.ivr_entries.target_extension_id IS 'action transfer: the extension (same domain) the caller is sent to';
COMMENT ON COLUMN voip.ivr_entries.target_menu_id IS 'action submenu: the menu (same domain) entered';
COMMENT ON COLUMN voip.ivr_entries.sound IS 'action play: the sound file or phrase played';

CREATE OR REPLACE TRIGGER ivr_entries_touch BEFORE UPDATE ON voip.ivr_entries
    FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();
