-- 0002_domains_users: SIP domains and the users (credentials) in them.
--
-- No plaintext password is stored.  users holds the digest HA1 for MD5
-- (RFC 2617) and SHA-256 (RFC 8760), both H(username ":" realm ":" password),
-- computed server-side by voip.user_set_password().

CREATE TABLE IF NOT EXISTS voip.domains (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    realm       text,
    enabled     boolean NOT NULL DEFAULT true,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT domains_name_key UNIQUE (name),
    CONSTRAINT domains_name_ck CHECK (
        name = lower(name) AND length(name) <= 253
        AND name ~ '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$'),
    CONSTRAINT domains_realm_ck CHECK (realm <> '' AND realm !~ '[":\s]')
);
COMMENT ON TABLE voip.domains IS
    'SIP domains (tenants). A request''s R-URI/To host selects the domain; all numbers, users, queues and menus live in one';
COMMENT ON COLUMN voip.domains.name IS 'the SIP domain as phones use it, lower case (e.g. lab.test)';
COMMENT ON COLUMN voip.domains.realm IS
    'digest realm; NULL means the domain name. Changing it invalidates every stored HA1 of the domain (set passwords again)';
COMMENT ON COLUMN voip.domains.enabled IS 'false: no registration, no routing, no directory entries for the whole domain';

CREATE OR REPLACE TRIGGER domains_touch BEFORE UPDATE ON voip.domains
    FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

CREATE TABLE IF NOT EXISTS voip.users (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id           bigint NOT NULL REFERENCES voip.domains (id) ON DELETE CASCADE,
    username            text NOT NULL,
    ha1_md5             text,
    ha1_sha256          text,
    password_changed_at timestamptz,
    display_name        text,
    enabled             boolean NOT NULL DEFAULT true,
    max_contacts        integer NOT NULL DEFAULT 3,
    user_context        text NOT NULL DEFAULT 'default',
    caller_id_name      text,
    caller_id_number    text,
    outbound_caller_id_number text,
    accountcode         text,
    variables           jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- The directory lookup (user@domain) and the registrar's auth lookup.
    CONSTRAINT users_domain_username_key UNIQUE (domain_id, username),
    -- Target of the composite foreign keys that keep references inside one domain.
    CONSTRAINT users_domain_id_id_key UNIQUE (domain_id, id),
    -- ':' would make H(username:realm:password) ambiguous, '@' the AOR.
    CONSTRAINT users_username_ck CHECK (username ~ '^[A-Za-z0-9._~+!-]{1,64}$'),
    CONSTRAINT users_ha1_md5_ck CHECK (ha1_md5 ~ '^[0-9a-f]{32}$'),
    CONSTRAINT users_ha1_sha256_ck CHECK (ha1_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT users_max_contacts_ck CHECK (max_contacts BETWEEN 1 AND 100),
    CONSTRAINT users_user_context_ck CHECK (user_context ~ '^[A-Za-z0-9_.-]{1,64}$'),
    CONSTRAINT users_variables_ck CHECK (jsonb_typeof(variables) = 'object')
);
COMMENT ON TABLE voip.users IS
    'SIP credentials per domain: who may REGISTER and place calls. No plaintext password is ever stored';
COMMENT ON COLUMN voip.users.username IS 'SIP user part (case-sensitive), also the FreeSWITCH directory user id';
COMMENT ON COLUMN voip.users.ha1_md5 IS
    'hex MD5(username:realm:password) (RFC 2617 digest HA1; FreeSWITCH a1-hash). Set with voip.user_set_password()';
COMMENT ON COLUMN voip.users.ha1_sha256 IS
    'hex SHA-256(username:realm:password) (RFC 8760 digest HA1). Set with voip.user_set_password()';
COMMENT ON COLUMN voip.users.max_contacts IS 'most simultaneous registrations (contacts) sip-router keeps for this AOR';
COMMENT ON COLUMN voip.users.user_context IS 'FreeSWITCH dialplan context for calls from this user (directory variable user_context)';
COMMENT ON COLUMN voip.users.caller_id_name IS 'effective_caller_id_name; NULL = display_name, then username';
COMMENT ON COLUMN voip.users.caller_id_number IS 'effective_caller_id_number; NULL = the user''s lowest user extension number';
COMMENT ON COLUMN voip.users.outbound_caller_id_number IS 'caller id presented on trunk calls (outbound_caller_id_number)';
COMMENT ON COLUMN voip.users.variables IS
    'extra FreeSWITCH directory variables, a flat JSON object of strings; the named columns win on conflict';

CREATE OR REPLACE TRIGGER users_touch BEFORE UPDATE ON voip.users
    FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

-- HA1 = H(username:realm:password) for MD5 and SHA-256 (RFC 2617, RFC 8760):
-- the one place digest credentials are hashed, for users and trunks alike.
CREATE OR REPLACE FUNCTION voip.digest_ha1(p_username text, p_realm text, p_password text,
                                           OUT md5 text, OUT sha256 text)
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.md5(a1), pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(a1, 'UTF8')), 'hex')
      FROM (SELECT p_username || ':' || p_realm || ':' || p_password AS a1) s
$$;
COMMENT ON FUNCTION voip.digest_ha1(text, text, text) IS
    'HA1 = H(username:realm:password) as MD5 and SHA-256 hex (RFC 2617 / RFC 8760)';

-- Computes both HA1s server-side with the built-in md5()/sha256(), so no
-- client has to implement digest hashing and the realm is always the one the
-- registrar uses.  Pass the password as a bind parameter: a literal would be
-- visible in pg_stat_activity and, with log_statement, in the server log.
CREATE OR REPLACE FUNCTION voip.user_set_password(p_user_id bigint, p_password text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_user text;
    v_realm text;
    h record;
BEGIN
    IF p_password IS NULL OR p_password = '' THEN
        RAISE EXCEPTION 'voip.user_set_password: empty password for user %', p_user_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT u.username, coalesce(d.realm, d.name)
      INTO v_user, v_realm
      FROM voip.users u JOIN voip.domains d ON d.id = u.domain_id
     WHERE u.id = p_user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'voip.user_set_password: no user with id %', p_user_id
            USING ERRCODE = 'no_data_found';
    END IF;
    h := voip.digest_ha1(v_user, v_realm, p_password);
    UPDATE voip.users
       SET ha1_md5 = h.md5,
           ha1_sha256 = h.sha256,
           password_changed_at = now()
     WHERE id = p_user_id;
END
$$;
COMMENT ON FUNCTION voip.user_set_password(bigint, text) IS
    'Sets users.ha1_md5 and ha1_sha256 = H(username:realm:password) for MD5 and SHA-256 (RFC 8760); realm = coalesce(domains.realm, domains.name). The password is not stored';
