-- 0010_routing_views: what sip-router and api-gateway read.
--
-- voip.routing    one row per routable extension with everything sip-router
--                 needs to route a call without a second query.
-- voip.directory  one row per user that may authenticate, shaped for the
--                 FreeSWITCH mod_xml_curl directory answer.
--
-- Views are replaced (DROP + CREATE) by later migrations when their columns
-- change; CREATE OR REPLACE VIEW can only add columns at the end.

CREATE OR REPLACE VIEW voip.routing AS
SELECT e.id                                          AS extension_id,
       d.name                                        AS domain,
       e.number                                      AS extension,
       e.type,
       e.type IN ('queue', 'ivr', 'voicemail', 'conference') AS need_media,
       -- user: the AOR's user part to look up in the location service;
       -- voicemail: the mailbox (NULL = the caller's own).
       u.username                                    AS sip_username,
       u.max_contacts,
       q.name                                        AS queue_name,
       m.name                                        AS ivr_menu_name,
       -- trunk_out: number is the prefix.
       CASE WHEN e.type = 'trunk_out' THEN e.number END AS prefix,
       CASE WHEN e.type = 'trunk_out' THEN e.strip_digits END AS strip_digits,
       CASE WHEN e.type = 'trunk_out' THEN e.prepend END AS prepend,
       CASE WHEN e.type = 'trunk_out' THEN e.priority END AS priority,
       t.id                                          AS trunk_id,
       t.name                                        AS trunk_name,
       t.host                                        AS trunk_host,
       t.port                                        AS trunk_port,
       t.transport                                   AS trunk_transport,
       t.health                                      AS trunk_health,
       t.max_channels                                AS trunk_max_channels
  FROM voip.extensions e
  JOIN voip.domains d ON d.id = e.domain_id
  LEFT JOIN voip.users u ON u.id = e.user_id
  LEFT JOIN voip.queues q ON q.id = e.queue_id
  LEFT JOIN voip.ivr_menus m ON m.id = e.ivr_menu_id
  LEFT JOIN voip.trunks t ON t.id = e.trunk_id
 WHERE e.enabled
   AND d.enabled
   -- A disabled user is not reachable; its number answers as unknown.
   AND (e.type <> 'user' OR u.enabled)
   -- A disabled trunk is no route at all (a trunk that is merely down is
   -- kept: trunk_health lets the router try the next priority).
   AND (e.type <> 'trunk_out' OR t.enabled);

COMMENT ON VIEW voip.routing IS
    'sip-router''s routing table: one row per enabled extension of an enabled domain. Exact match on (domain, extension) for non-trunk types; else longest trunk_out prefix, lowest priority first';
COMMENT ON COLUMN voip.routing.need_media IS 'true: send the call to the FreeSWITCH pool (queue, ivr, voicemail, conference)';
COMMENT ON COLUMN voip.routing.sip_username IS 'user: user part of the AOR to look up in location; voicemail: mailbox owner (NULL = caller)';
COMMENT ON COLUMN voip.routing.prefix IS 'trunk_out: dialled-number prefix this route matches ('''' = any)';
COMMENT ON COLUMN voip.routing.strip_digits IS 'trunk_out: digits removed from the front of the dialled number';
COMMENT ON COLUMN voip.routing.prepend IS 'trunk_out: digits added in front after stripping';
COMMENT ON COLUMN voip.routing.priority IS 'trunk_out: lower first among routes of the same prefix';
COMMENT ON COLUMN voip.routing.trunk_health IS 'unknown | up | down from OPTIONS probing';

CREATE OR REPLACE VIEW voip.directory AS
SELECT u.id                                          AS user_id,
       d.name                                        AS domain,
       coalesce(d.realm, d.name)                     AS realm,
       u.username,
       x.number                                      AS number_alias,
       u.ha1_md5                                     AS a1_hash,
       u.ha1_sha256                                  AS a1_hash_sha256,
       u.user_context,
       coalesce(u.caller_id_name, u.display_name, u.username) AS caller_id_name,
       coalesce(u.caller_id_number, x.number, u.username)     AS caller_id_number,
       u.max_contacts,
       -- <params>: a1-hash is always present (see WHERE), so FreeSWITCH
       -- never sees a user without a password check.
       jsonb_build_object('a1-hash', u.ha1_md5,
                          'max-registrations-per-extension', u.max_contacts::text) AS params,
       -- <variables>: the user's extra variables, overridden by the columns.
       u.variables || jsonb_strip_nulls(jsonb_build_object(
           'user_context', u.user_context,
           'effective_caller_id_name', coalesce(u.caller_id_name, u.display_name, u.username),
           'effective_caller_id_number', coalesce(u.caller_id_number, x.number, u.username),
           'outbound_caller_id_number', u.outbound_caller_id_number,
           'accountcode', u.accountcode)) AS variables
  FROM voip.users u
  JOIN voip.domains d ON d.id = u.domain_id
  LEFT JOIN LATERAL (
        SELECT e.number
          FROM voip.extensions e
         WHERE e.user_id = u.id AND e.type = 'user' AND e.enabled
         ORDER BY length(e.number), e.number
         LIMIT 1) x ON true
 WHERE u.enabled
   AND d.enabled
   AND u.ha1_md5 IS NOT NULL;

COMMENT ON VIEW voip.directory IS
    'FreeSWITCH mod_xml_curl directory entries: look up WHERE domain = $domain AND (username = $user OR number_alias = $user). Users without a password are absent (never answer a user without a1-hash)';
COMMENT ON COLUMN voip.directory.number_alias IS 'the user''s shortest enabled user extension; <user number-alias="...">';
COMMENT ON COLUMN voip.directory.a1_hash IS 'MD5 HA1 for <param name="a1-hash">, computed for realm';
COMMENT ON COLUMN voip.directory.params IS 'JSON object rendered as <params><param name value/></params>';
COMMENT ON COLUMN voip.directory.variables IS 'JSON object rendered as <variables><variable name value/></variables>';
