-- pg_privacy--0.1.0--0.2.0.sql: ALTER EXTENSION pg_privacy UPDATE TO '0.2.0'.
-- Every change this release makes to SQL objects, in the order the parts
-- (src/sql/parts) would create them; an updated database must equal a fresh
-- 0.2.0 install (test/upgrade checks it).
\echo Use "ALTER EXTENSION pg_privacy UPDATE TO '0.2.0'" to load this file. \quit

-- issue 17: rows that are user history are kept by pg_dump
SELECT pg_catalog.pg_extension_config_dump('privacy._purge_log', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._discovery', '');

-- issue 17: ids of the history tables come from configuration sequences,
-- whose position pg_dump keeps (an identity sequence restarted at 1 after a
-- restore, and the next hold, consent or purge collided with restored rows)
ALTER TABLE privacy._legal_hold ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE privacy._legal_hold_id_seq;
SELECT pg_catalog.setval('privacy._legal_hold_id_seq', max(id)) FROM privacy._legal_hold HAVING max(id) IS NOT NULL;
ALTER TABLE privacy._legal_hold ALTER COLUMN id SET DEFAULT pg_catalog.nextval('privacy._legal_hold_id_seq');
ALTER SEQUENCE privacy._legal_hold_id_seq OWNED BY privacy._legal_hold.id;
SELECT pg_catalog.pg_extension_config_dump('privacy._legal_hold_id_seq', '');

ALTER TABLE privacy._purge_log ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE privacy._purge_log_id_seq;
SELECT pg_catalog.setval('privacy._purge_log_id_seq', max(id)) FROM privacy._purge_log HAVING max(id) IS NOT NULL;
ALTER TABLE privacy._purge_log ALTER COLUMN id SET DEFAULT pg_catalog.nextval('privacy._purge_log_id_seq');
ALTER SEQUENCE privacy._purge_log_id_seq OWNED BY privacy._purge_log.id;
SELECT pg_catalog.pg_extension_config_dump('privacy._purge_log_id_seq', '');

ALTER TABLE privacy._consent ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE privacy._consent_id_seq;
SELECT pg_catalog.setval('privacy._consent_id_seq', max(id)) FROM privacy._consent HAVING max(id) IS NOT NULL;
ALTER TABLE privacy._consent ALTER COLUMN id SET DEFAULT pg_catalog.nextval('privacy._consent_id_seq');
ALTER SEQUENCE privacy._consent_id_seq OWNED BY privacy._consent.id;
SELECT pg_catalog.pg_extension_config_dump('privacy._consent_id_seq', '');

-- issue 21: card_token comparisons resolve whatever the search_path (the
-- operator classes and indexes keep referring to the same operators)
ALTER OPERATOR privacy.= (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;
ALTER OPERATOR privacy.<> (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;
ALTER OPERATOR privacy.< (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;
ALTER OPERATOR privacy.<= (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;
ALTER OPERATOR privacy.> (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;
ALTER OPERATOR privacy.>= (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;
