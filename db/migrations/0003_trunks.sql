-- 0003_trunks: SIP trunks (carriers) for outbound calls and inbound DIDs.
--
-- Trunks are platform-wide; trunk_out extensions in any domain point at them.
-- Like users, a trunk stores no plaintext password: a digest client only
-- needs HA1 = H(auth_username:auth_realm:password), so the carrier's realm is
-- configured up front and voip.trunk_set_password() derives both hashes.

CREATE TABLE IF NOT EXISTS voip.trunks (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL,
    host               text NOT NULL,
    port               integer NOT NULL DEFAULT 5060,
    transport          text NOT NULL DEFAULT 'udp',
    auth_username      text,
    auth_realm         text,
    auth_ha1_md5       text,
    auth_ha1_sha256    text,
    register           boolean NOT NULL DEFAULT false,
    register_expires_s integer NOT NULL DEFAULT 3600,
    inbound_cidrs      cidr[] NOT NULL DEFAULT '{}',
    inbound_domain_id  bigint REFERENCES voip.domains (id) ON DELETE SET NULL,
    max_channels       integer NOT NULL DEFAULT 0,
    enabled            boolean NOT NULL DEFAULT true,
    health             text NOT NULL DEFAULT 'unknown',
    health_detail      text,
    health_checked_at  timestamptz,
    description        text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT trunks_name_key UNIQUE (name),
    CONSTRAINT trunks_name_ck CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    CONSTRAINT trunks_host_ck CHECK (host ~ '^[A-Za-z0-9.:\[\]-]{1,253}$'),
    CONSTRAINT trunks_port_ck CHECK (port BETWEEN 1 AND 65535),
    CONSTRAINT trunks_transport_ck CHECK (transport IN ('udp', 'tcp', 'tls')),
    CONSTRAINT trunks_auth_ck CHECK (
        (auth_username IS NULL AND auth_realm IS NULL AND auth_ha1_md5 IS NULL AND auth_ha1_sha256 IS NULL)
        OR (auth_username IS NOT NULL AND auth_realm IS NOT NULL)),
    CONSTRAINT trunks_auth_username_ck CHECK (auth_username ~ '^[^:@\s]{1,128}$'),
    CONSTRAINT trunks_auth_ha1_md5_ck CHECK (auth_ha1_md5 ~ '^[0-9a-f]{32}$'),
    CONSTRAINT trunks_auth_ha1_sha256_ck CHECK (auth_ha1_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT trunks_register_ck CHECK (NOT register OR auth_username IS NOT NULL),
    CONSTRAINT trunks_register_expires_ck CHECK (register_expires_s BETWEEN 60 AND 86400),
    CONSTRAINT trunks_max_channels_ck CHECK (max_channels >= 0),
    CONSTRAINT trunks_health_ck CHECK (health IN ('unknown', 'up', 'down'))
);
COMMENT ON TABLE voip.trunks IS
    'SIP trunks to carriers. Referenced by trunk_out extensions; health is kept up to date by sip-router''s OPTIONS probes';
COMMENT ON COLUMN voip.trunks.host IS 'carrier host name or IP literal the router sends to';
COMMENT ON COLUMN voip.trunks.auth_username IS 'digest user name for outbound auth/registration; NULL = IP-authenticated trunk';
COMMENT ON COLUMN voip.trunks.auth_realm IS 'the carrier''s digest realm the HA1s were computed for';
COMMENT ON COLUMN voip.trunks.auth_ha1_md5 IS 'hex MD5(auth_username:auth_realm:password); set with voip.trunk_set_password()';
COMMENT ON COLUMN voip.trunks.auth_ha1_sha256 IS 'hex SHA-256(auth_username:auth_realm:password) (RFC 8760)';
COMMENT ON COLUMN voip.trunks.register IS 'sip-router keeps a REGISTER binding at the carrier';
COMMENT ON COLUMN voip.trunks.inbound_cidrs IS 'source networks whose requests are treated as inbound calls from this trunk';
COMMENT ON COLUMN voip.trunks.inbound_domain_id IS 'domain whose extensions inbound calls (DIDs) from this trunk are routed in';
COMMENT ON COLUMN voip.trunks.max_channels IS 'most concurrent calls over this trunk; 0 = no limit';
COMMENT ON COLUMN voip.trunks.health IS 'unknown | up | down, from OPTIONS probing; written on state changes only';

CREATE OR REPLACE TRIGGER trunks_touch BEFORE UPDATE ON voip.trunks
    FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

CREATE OR REPLACE FUNCTION voip.trunk_set_password(p_trunk_id bigint, p_password text)
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
        RAISE EXCEPTION 'voip.trunk_set_password: empty password for trunk %', p_trunk_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT t.auth_username, t.auth_realm
      INTO v_user, v_realm
      FROM voip.trunks t
     WHERE t.id = p_trunk_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'voip.trunk_set_password: no trunk with id %', p_trunk_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF v_user IS NULL OR v_realm IS NULL THEN
        RAISE EXCEPTION 'voip.trunk_set_password: trunk % has no auth_username/auth_realm', p_trunk_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    h := voip.digest_ha1(v_user, v_realm, p_password);
    UPDATE voip.trunks
       SET auth_ha1_md5 = h.md5,
           auth_ha1_sha256 = h.sha256
     WHERE id = p_trunk_id;
END
$$;
COMMENT ON FUNCTION voip.trunk_set_password(bigint, text) IS
    'Sets trunks.auth_ha1_md5/auth_ha1_sha256 = H(auth_username:auth_realm:password); the password is not stored';
