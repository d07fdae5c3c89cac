-- 0007_api_keys: API keys for api-gateway.
--
-- A key as handed out is "<key_id>.<secret>".  Only key_id (the public
-- prefix, to find the row) and BLAKE2b(secret) (libsodium
-- crypto_generichash, computed by the gateway, compared in constant time)
-- are stored.  A leaked table does not leak usable keys.

CREATE TABLE IF NOT EXISTS voip.api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_id       text NOT NULL,
    secret_hash  bytea NOT NULL,
    name         text NOT NULL,
    permissions  text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CONSTRAINT api_keys_key_id_key UNIQUE (key_id),
    CONSTRAINT api_keys_key_id_ck CHECK (key_id ~ '^[A-Za-z0-9_-]{8,64}$'),
    -- crypto_generichash output is 16..64 bytes (32 by default).
    CONSTRAINT api_keys_secret_hash_ck CHECK (octet_length(secret_hash) BETWEEN 16 AND 64),
    CONSTRAINT api_keys_name_ck CHECK (name <> ''),
    -- "resource:verb" or a bare word such as admin; no NULL elements.  The set
    -- of names is the gateway's to define (docs/schema.md lists the current ones).
    CONSTRAINT api_keys_permissions_ck CHECK (
        cardinality(permissions) = 0
        OR (array_position(permissions, NULL) IS NULL
            AND array_to_string(permissions, ',')
                ~ '^[a-z][a-z0-9_-]*(:[a-z][a-z0-9_-]*)?(,[a-z][a-z0-9_-]*(:[a-z][a-z0-9_-]*)?)*$')),
    CONSTRAINT api_keys_expiry_ck CHECK (expires_at > created_at)
);
COMMENT ON TABLE voip.api_keys IS
    'api-gateway API keys: public key_id + BLAKE2b hash of the secret; permissions such as cdr:read, directory:read, admin';
COMMENT ON COLUMN voip.api_keys.key_id IS 'public prefix of the key, sent with every request; finds the row';
COMMENT ON COLUMN voip.api_keys.secret_hash IS 'BLAKE2b (libsodium crypto_generichash) of the secret part, computed by the gateway';
COMMENT ON COLUMN voip.api_keys.permissions IS 'granted permissions, e.g. {cdr:read,directory:read} or {admin}';
COMMENT ON COLUMN voip.api_keys.revoked_at IS 'set to revoke; a revoked key never authenticates again';
COMMENT ON COLUMN voip.api_keys.last_used_at IS
    'last successful use; the gateway should update it at most about once a minute per key, not per request';
