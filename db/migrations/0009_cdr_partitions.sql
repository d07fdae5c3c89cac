-- 0009_cdr_partitions: monthly partitions of voip.cdr, created ahead.
--
--   voip.cdr_create_partition(month)            one month, true if created
--   voip.cdr_ensure_partitions(back, ahead)     the months around now(), count created
--
-- db-migrate calls cdr_ensure_partitions() after migrating; cdr-writer calls
-- it hourly.  Both are cheap when there is nothing to do, serialised by a
-- transaction-scoped advisory lock, and safe to run from several processes
-- and both nodes at once.
--
-- How a month is created without blocking inserts into voip.cdr:
--   1. CREATE TABLE ... (LIKE voip.cdr) as a plain table (no lock on cdr
--      beyond ACCESS SHARE);
--   2. lock voip.cdr_default against inserts, move its rows of that month
--      into the new table (DELETE ... RETURNING feeding an INSERT);
--   3. ALTER TABLE voip.cdr ATTACH PARTITION: SHARE UPDATE EXCLUSIVE on
--      voip.cdr, which does not conflict with INSERT (CREATE TABLE ...
--      PARTITION OF would take ACCESS EXCLUSIVE on voip.cdr and stall the
--      writer); the default partition's ACCESS EXCLUSIVE is short because it
--      is normally empty.
-- All in the caller's transaction, so it either all happens or none of it.
-- The indexes of voip.cdr are created on the new partition by ATTACH.
--
-- Locking note for callers: step 2/3 wait for open transactions that
-- inserted into voip.cdr_default.  A caller that must not wait long should
-- SET lock_timeout first and retry later.

CREATE OR REPLACE FUNCTION voip.cdr_create_partition(p_month date)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_lo    timestamp := date_trunc('month', p_month::timestamp);
    v_hi    timestamp := v_lo + interval '1 month';
    v_name  text := to_char(v_lo, '"cdr_y"YYYY"m"MM');
    v_lo_tz timestamptz := v_lo AT TIME ZONE 'UTC';
    v_hi_tz timestamptz := v_hi AT TIME ZONE 'UTC';
    v_moved bigint := 0;
BEGIN
    IF p_month IS NULL THEN
        RAISE EXCEPTION 'voip.cdr_create_partition: month is NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Serialise with every other creator (key: "tandem" "cdr").
    PERFORM pg_advisory_xact_lock(1952542052, 6513778);

    IF EXISTS (SELECT 1
                 FROM pg_inherits i
                 JOIN pg_class c ON c.oid = i.inhrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE i.inhparent = 'voip.cdr'::regclass
                  AND n.nspname = 'voip' AND c.relname = v_name) THEN
        RETURN false;
    END IF;
    IF to_regclass(format('voip.%I', v_name)) IS NOT NULL THEN
        RAISE EXCEPTION 'voip.cdr_create_partition: voip.% exists but is not a partition of voip.cdr', v_name
            USING HINT = 'attach it (ALTER TABLE voip.cdr ATTACH PARTITION ...) or rename it, then retry';
    END IF;

    EXECUTE format('CREATE TABLE voip.%I (LIKE voip.cdr INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)',
                   v_name);

    IF to_regclass('voip.cdr_default') IS NOT NULL THEN
        -- Blocks inserts that would land in the default partition until we
        -- commit, so no row of this month can slip in before ATTACH checks.
        LOCK TABLE voip.cdr_default IN SHARE ROW EXCLUSIVE MODE;
        EXECUTE format('WITH moved AS (DELETE FROM voip.cdr_default
                                        WHERE start_time >= $1 AND start_time < $2
                                        RETURNING *)
                        INSERT INTO voip.%I SELECT * FROM moved', v_name)
            USING v_lo_tz, v_hi_tz;
        GET DIAGNOSTICS v_moved = ROW_COUNT;
    END IF;

    -- Bounds as UTC literals, independent of the session's TimeZone.
    EXECUTE format('ALTER TABLE voip.cdr ATTACH PARTITION voip.%I FOR VALUES FROM (%L) TO (%L)',
                   v_name, to_char(v_lo, 'YYYY-MM-DD HH24:MI:SS') || '+00',
                   to_char(v_hi, 'YYYY-MM-DD HH24:MI:SS') || '+00');
    EXECUTE format('COMMENT ON TABLE voip.%I IS %L', v_name,
                   format('voip.cdr partition for %s (UTC), created by voip.cdr_create_partition()',
                          to_char(v_lo, 'YYYY-MM')));
    IF v_moved > 0 THEN
        RAISE WARNING 'voip.cdr_create_partition: moved % rows from voip.cdr_default into voip.%',
            v_moved, v_name;
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION voip.cdr_create_partition(date) IS
    'Creates the voip.cdr partition for the UTC month containing p_month (voip.cdr_yYYYYmMM), moving that month''s rows out of voip.cdr_default; false if it already exists';

CREATE OR REPLACE FUNCTION voip.cdr_ensure_partitions(p_months_back integer DEFAULT 1,
                                                      p_months_ahead integer DEFAULT 3)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_base    timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
    v_created integer := 0;
    i         integer;
BEGIN
    IF p_months_back IS NULL OR p_months_ahead IS NULL
       OR p_months_back NOT BETWEEN 0 AND 120 OR p_months_ahead NOT BETWEEN 0 AND 120 THEN
        RAISE EXCEPTION 'voip.cdr_ensure_partitions: months back/ahead must be 0..120 (got %, %)',
            p_months_back, p_months_ahead
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(1952542052, 6513778);
    FOR i IN -p_months_back .. p_months_ahead LOOP
        IF voip.cdr_create_partition((v_base + make_interval(months => i))::date) THEN
            v_created := v_created + 1;
        END IF;
    END LOOP;
    RETURN v_created;
END
$$;
COMMENT ON FUNCTION voip.cdr_ensure_partitions(integer, integer) IS
    'Creates the missing monthly voip.cdr partitions from p_months_back before to p_months_ahead after the current UTC month; returns how many it created. Safe to call concurrently and often';

-- Only the owner (and whoever it grants) may create partitions.
REVOKE ALL ON FUNCTION voip.cdr_create_partition(date) FROM PUBLIC;
REVOKE ALL ON FUNCTION voip.cdr_ensure_partitions(integer, integer) FROM PUBLIC;
