-- 40_tokenization.sql: format-preserving tokenization (issue 5): data keys,
-- token formats, tokenize/detokenize, the raw FF1/FF3-1 modes, the
-- privacy.card_token type, detokenize privileges and their audit log.
--
-- Data keys are stored only AEAD-wrapped (libsodium XChaCha20-Poly1305, the
-- key name and version bound as associated data) under a master key that
-- comes from outside the database (privacy.master_key_file or
-- privacy.master_key_command). The tables are readable by nobody but the
-- extension owner; the C functions read them with heap scans, so callers need
-- no privilege on them. See doc/tokenization.md.

CREATE TABLE privacy._key (
	name       text NOT NULL,
	version    integer NOT NULL CHECK (version >= 1),
	algorithm  text NOT NULL,
	wrapped    bytea NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (name, version)
);
COMMENT ON TABLE privacy._key IS
'data keys: wrapped = 24-byte nonce || XChaCha20-Poly1305 ciphertext of the key under the master key (AD: name, version)';

CREATE TABLE privacy._token_format (
	name        text PRIMARY KEY,
	kind        text NOT NULL CHECK (kind IN ('card', 'email', 'plain')),
	alphabet    text NOT NULL,
	passthrough text NOT NULL,
	keep_prefix integer NOT NULL CHECK (keep_prefix >= 0),
	keep_suffix integer NOT NULL CHECK (keep_suffix >= 0),
	min_chars   integer NOT NULL CHECK (min_chars >= 0),
	max_chars   integer NOT NULL CHECK (max_chars >= 0),
	key_name    text NOT NULL,
	builtin     boolean NOT NULL,
	created_at  timestamptz NOT NULL
);
COMMENT ON TABLE privacy._token_format IS
'token formats: built-in ones (created here, not dumped) and custom ones (privacy.create_token_format)';

CREATE TABLE privacy._detokenize_grant (
	role       regrole NOT NULL,
	format     text NOT NULL,
	granted_by name NOT NULL,
	granted_at timestamptz NOT NULL,
	PRIMARY KEY (role, format)
);
COMMENT ON TABLE privacy._detokenize_grant IS 'roles allowed to detokenize a format (privacy.grant_detokenize)';

CREATE TABLE privacy.audit_log (
	logged_at    timestamptz NOT NULL,
	role_name    name NOT NULL,
	session_role name NOT NULL,
	action       text NOT NULL,
	format       text NOT NULL,
	value_count  bigint NOT NULL
);
COMMENT ON TABLE privacy.audit_log IS
'one row per statement and format that detokenized values: who, when, how many (never the values)';

INSERT INTO privacy._token_format
	(name, kind, alphabet, passthrough, keep_prefix, keep_suffix, min_chars, max_chars, key_name, builtin, created_at)
VALUES
	('card',  'card',  '0123456789', ' -',    0, 4, 12, 19, 'default', true, pg_catalog.now()),
	('ssn',   'plain', '0123456789', ' -',    0, 0, 9,  9,  'default', true, pg_catalog.now()),
	('phone', 'plain', '0123456789', ' -+().', 0, 0, 0,  0,  'default', true, pg_catalog.now()),
	('digits', 'plain', '0123456789', '',     0, 0, 0,  0,  'default', true, pg_catalog.now()),
	('alnum', 'plain', '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', '', 0, 0, 0, 0, 'default',
	 true, pg_catalog.now()),
	('email', 'email', '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', '.-_+', 0, 0, 0, 0,
	 'default', true, pg_catalog.now());

SELECT pg_catalog.pg_extension_config_dump('privacy._key', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._token_format', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('privacy._detokenize_grant', '');
SELECT pg_catalog.pg_extension_config_dump('privacy.audit_log', '');
REVOKE ALL ON privacy._key, privacy._token_format, privacy._detokenize_grant, privacy.audit_log FROM PUBLIC;

-- Metadata views (never key material).
CREATE VIEW privacy.keys AS
SELECT k.name, k.version, k.created_at, k.algorithm,
	k.version OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(k2.version) FROM privacy._key k2
	                                   WHERE k2.name OPERATOR(pg_catalog.=) k.name) AS active
FROM privacy._key k;
COMMENT ON VIEW privacy.keys IS
'data keys and their versions (metadata only); active: the version new card tokens and raw FPE calls use';
GRANT SELECT ON privacy.keys TO PUBLIC;

CREATE VIEW privacy.token_formats AS
SELECT f.name, f.kind, f.builtin, f.alphabet, f.passthrough, f.keep_prefix, f.keep_suffix, f.min_chars, f.max_chars,
	f.key_name, f.kind OPERATOR(pg_catalog.=) 'card' AS versioned
FROM privacy._token_format f;
COMMENT ON VIEW privacy.token_formats IS
'token formats; versioned: tokens carry their key version (card); others always use the first key version';
GRANT SELECT ON privacy.token_formats TO PUBLIC;

CREATE VIEW privacy.detokenize_grants AS
SELECT g.role, g.format, g.granted_by, g.granted_at FROM privacy._detokenize_grant g;
COMMENT ON VIEW privacy.detokenize_grants IS 'roles allowed to detokenize each format (superusers always may)';

-- Key administration (superuser only; each function checks explicitly).
CREATE FUNCTION privacy.create_key(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_create_key'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.create_key(text) IS
'creates a random 256-bit data key (version 1), stored wrapped by the master key; returns the version';

CREATE FUNCTION privacy.rotate_key(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_rotate_key'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.rotate_key(text) IS
'adds a new random version to a data key and returns it; older versions stay to detokenize older tokens';

CREATE FUNCTION privacy.import_key(name text, material bytea)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_import_key'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.import_key(text, bytea) IS
'stores given key material (16, 24 or 32 bytes) as the next version of a data key; run it with SET LOCAL log_statement = ''none''';

CREATE FUNCTION privacy.drop_key(name text, force boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy_drop_key'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.drop_key(text, boolean) IS
'crypto-shredding: deletes every version of a data key; tokens made with it can never be detokenized again (force => true when token formats use the key)';

CREATE FUNCTION privacy._invalidate_keys()
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__invalidate_keys'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._invalidate_keys() IS
'invalidates the per-backend caches of data keys, token formats and detokenize grants';

-- Token formats.
CREATE FUNCTION privacy.create_token_format(name text, alphabet text, key text, passthrough text DEFAULT '',
	keep_prefix integer DEFAULT 0, keep_suffix integer DEFAULT 0)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy_create_token_format'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.create_token_format(text, text, text, text, integer, integer) IS
'declares a custom token format: characters of alphabet are encrypted with the key, passthrough characters and the kept prefix/suffix stay';

CREATE FUNCTION privacy.drop_token_format(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('drop token formats');
	IF name IS NULL THEN
		RAISE EXCEPTION 'token format name must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF EXISTS (SELECT FROM privacy._token_format f WHERE f.name = drop_token_format.name AND f.builtin) THEN
		RAISE EXCEPTION 'cannot drop built-in token format "%"', name USING ERRCODE = 'feature_not_supported';
	END IF;
	DELETE FROM privacy._token_format f WHERE f.name = drop_token_format.name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'token format "%" does not exist', name USING ERRCODE = 'undefined_object';
	END IF;
	DELETE FROM privacy._detokenize_grant g WHERE g.format = drop_token_format.name;
	PERFORM privacy._invalidate_keys();
END
$$;
COMMENT ON FUNCTION privacy.drop_token_format(text) IS 'drops a custom token format and its detokenize grants';

-- Tokenization. tokenize is not granted to PUBLIC: with deterministic tokens,
-- a role that can tokenize can test guesses against a token column.
CREATE FUNCTION privacy.tokenize(value text, format text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_tokenize'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.tokenize(text, text) IS
'deterministic format-preserving token of value in the given token format (FF1)';

CREATE FUNCTION privacy.detokenize(token text, format text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_detokenize'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.detokenize(text, text) IS
'the value of a token; requires privacy.grant_detokenize() on the format; audited in privacy.audit_log';
GRANT EXECUTE ON FUNCTION privacy.detokenize(text, text) TO PUBLIC;

CREATE FUNCTION privacy.fpe_encrypt(value text, key text, alphabet text DEFAULT '0123456789',
	tweak bytea DEFAULT '', mode text DEFAULT 'ff1', key_version integer DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fpe_encrypt'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fpe_encrypt(text, text, text, bytea, text, integer) IS
'raw FF1 (mode ''ff1'') or FF3-1 (mode ''ff3-1'', 7-byte tweak) encryption with a data key (key_version 0: newest)';

CREATE FUNCTION privacy.fpe_decrypt(value text, key text, alphabet text DEFAULT '0123456789',
	tweak bytea DEFAULT '', mode text DEFAULT 'ff1', key_version integer DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fpe_decrypt'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fpe_decrypt(text, text, text, bytea, text, integer) IS
'raw FF1/FF3-1 decryption with a data key; not granted to PUBLIC: it bypasses detokenize privileges';

CREATE FUNCTION privacy._token_key_version(token text, format text)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy__token_key_version'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._token_key_version(text, text) IS
'the data key version a token of the format was made with';

CREATE FUNCTION privacy._retokenize_value(token text, format text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_value'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_value(text, text) IS
'the token of the same value under the newest key version (superuser only; the value never leaves C)';

-- privacy.retokenize: the new tokens are computed by pg_privacy (as the
-- extension owner: the values never leave C), then written by one UPDATE per
-- batch run as the table's owner (privacy._exec_as_owner), so the table's
-- triggers run with the owner's rights, never the caller's or a superuser's.
CREATE FUNCTION privacy.retokenize(tbl regclass, col name, format text DEFAULT 'card', batch_size integer DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	moved bigint := 0;
	n bigint;
	newest integer;
	key text;
	coltype text;
	rels oid[];
	ids tid[];
	olds text[];
	news text[];
BEGIN
	PERFORM privacy._check_policy_admin('retokenize');
	IF tbl IS NULL OR col IS NULL OR format IS NULL OR batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'table, column, format and a positive batch size are required'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT f.key_name INTO key FROM privacy._token_format f WHERE f.name = format AND f.kind = 'card';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'token format "%" does not carry key versions', format
			USING ERRCODE = 'feature_not_supported',
			HINT = 'Only card formats are versioned; other formats always use the first key version.';
	END IF;
	SELECT max(k.version) INTO newest FROM privacy._key k WHERE k.name = key;
	IF newest IS NULL THEN
		RAISE EXCEPTION 'data key "%" does not exist', key USING ERRCODE = 'undefined_object';
	END IF;
	SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO coltype FROM pg_catalog.pg_attribute a
	WHERE a.attrelid = tbl AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = 'undefined_column';
	END IF;
	LOOP
		-- reading tokens runs no code of the table's (no triggers, no row
		-- security for the extension owner)
		EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(s.tableoid), pg_catalog.array_agg(s.ctid), '
		               'pg_catalog.array_agg(s.v), pg_catalog.array_agg(privacy._retokenize_value(s.v, $1)) '
		               'FROM (SELECT tableoid, ctid, %1$I::text AS v FROM %2$s WHERE %1$I IS NOT NULL '
		               'AND privacy._token_key_version(%1$I::text, $1) OPERATOR(pg_catalog.<>) $2 LIMIT $3) s', col, tbl)
			INTO rels, ids, olds, news USING format, newest, batch_size;
		EXIT WHEN ids IS NULL;
		n := privacy._exec_as_owner(tbl, pg_catalog.format('UPDATE %1$s t SET %2$I = v.new::%3$s '
		               'FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.oid[]), pg_catalog.unnest($2::pg_catalog.tid[]), '
		               'pg_catalog.unnest($3::text[]), pg_catalog.unnest($4::text[])) AS v(rel, id, old, new) '
		               'WHERE t.tableoid OPERATOR(pg_catalog.=) v.rel AND t.ctid OPERATOR(pg_catalog.=) v.id '
		               'AND t.%2$I::text OPERATOR(pg_catalog.=) v.old', tbl, col, coltype),
			rels, ids, olds, news);
		EXIT WHEN n = 0;
		moved := moved + n;
	END LOOP;
	RETURN moved;
END
$$;
COMMENT ON FUNCTION privacy.retokenize(regclass, name, text, integer) IS
'moves the tokens of a column to the newest version of the format''s key, in batches; returns how many moved';

-- Detokenize privileges.
CREATE FUNCTION privacy.grant_detokenize(role regrole, format text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('grant detokenize');
	IF role IS NULL OR format IS NULL THEN
		RAISE EXCEPTION 'role and format must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM privacy._token_format f WHERE f.name = grant_detokenize.format) THEN
		RAISE EXCEPTION 'token format "%" does not exist', format USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO privacy._detokenize_grant AS g (role, format, granted_by, granted_at)
	VALUES (grant_detokenize.role, grant_detokenize.format, privacy._outer_user(), now())
	ON CONFLICT ON CONSTRAINT _detokenize_grant_pkey DO NOTHING;
	PERFORM privacy._invalidate_keys();
END
$$;
COMMENT ON FUNCTION privacy.grant_detokenize(regrole, text) IS 'allows a role (and its members) to detokenize a format';

CREATE FUNCTION privacy.revoke_detokenize(role regrole, format text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('revoke detokenize');
	IF role IS NULL OR format IS NULL THEN
		RAISE EXCEPTION 'role and format must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	DELETE FROM privacy._detokenize_grant g
	WHERE g.role = revoke_detokenize.role AND g.format = revoke_detokenize.format;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role % cannot detokenize format "%"', role, format USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM privacy._invalidate_keys();
END
$$;
COMMENT ON FUNCTION privacy.revoke_detokenize(regrole, text) IS 'withdraws a privacy.grant_detokenize()';

-- privacy.card_token: a column type for card tokens. Its input function only
-- VALIDATES (12 to 19 digits, separators ' ' and '-' dropped, must fail the
-- Luhn check, so a real card number is refused) and never tokenizes: pg_dump,
-- COPY FROM and logical replication call it with tokens. Stored as the digits
-- (a varlena compared bytewise), so the comparison functions are the core
-- bytea ones, which cannot fail on data (LEAKPROOF).
CREATE TYPE privacy.card_token;

CREATE FUNCTION privacy.card_token_in(cstring)
RETURNS privacy.card_token
AS 'MODULE_PATHNAME', 'pg_privacy_card_token_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.card_token_in(cstring) IS 'card_token input: validates a card token, never tokenizes';

CREATE FUNCTION privacy.card_token_out(privacy.card_token)
RETURNS cstring
AS 'textout'
LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.card_token_out(privacy.card_token) IS 'card_token output: the token digits';

CREATE FUNCTION privacy.card_token_recv(internal)
RETURNS privacy.card_token
AS 'MODULE_PATHNAME', 'pg_privacy_card_token_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.card_token_recv(internal) IS 'card_token binary input: validates like card_token_in';

CREATE FUNCTION privacy.card_token_send(privacy.card_token)
RETURNS bytea
AS 'byteasend'
LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.card_token_send(privacy.card_token) IS 'card_token binary output: the token digits';

CREATE TYPE privacy.card_token (
	INPUT = privacy.card_token_in,
	OUTPUT = privacy.card_token_out,
	RECEIVE = privacy.card_token_recv,
	SEND = privacy.card_token_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = plain,
	CATEGORY = 'S'
);
COMMENT ON TYPE privacy.card_token IS
'a payment card token (12-19 digits, never Luhn-valid); input validates only, tokenize with privacy.tokenize(v, ''card'')';

CREATE FUNCTION privacy.card_token_eq(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'byteaeq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_ne(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'byteane' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_lt(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'bytealt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_le(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'byteale' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_gt(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'byteagt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_ge(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'byteage' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_cmp(privacy.card_token, privacy.card_token) RETURNS integer
AS 'byteacmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_hash(privacy.card_token) RETURNS integer
AS 'hashvarlena' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_hash_extended(privacy.card_token, bigint) RETURNS bigint
AS 'hashvarlenaextended' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION privacy.card_token_eq(privacy.card_token, privacy.card_token) IS 'card_token =';
COMMENT ON FUNCTION privacy.card_token_ne(privacy.card_token, privacy.card_token) IS 'card_token <>';
COMMENT ON FUNCTION privacy.card_token_lt(privacy.card_token, privacy.card_token) IS 'card_token <';
COMMENT ON FUNCTION privacy.card_token_le(privacy.card_token, privacy.card_token) IS 'card_token <=';
COMMENT ON FUNCTION privacy.card_token_gt(privacy.card_token, privacy.card_token) IS 'card_token >';
COMMENT ON FUNCTION privacy.card_token_ge(privacy.card_token, privacy.card_token) IS 'card_token >=';
COMMENT ON FUNCTION privacy.card_token_cmp(privacy.card_token, privacy.card_token) IS 'card_token btree support';
COMMENT ON FUNCTION privacy.card_token_hash(privacy.card_token) IS 'card_token hash support';
COMMENT ON FUNCTION privacy.card_token_hash_extended(privacy.card_token, bigint) IS
'card_token extended hash support (hash partitioning)';
GRANT EXECUTE ON FUNCTION privacy.card_token_eq(privacy.card_token, privacy.card_token),
	privacy.card_token_ne(privacy.card_token, privacy.card_token),
	privacy.card_token_lt(privacy.card_token, privacy.card_token),
	privacy.card_token_le(privacy.card_token, privacy.card_token),
	privacy.card_token_gt(privacy.card_token, privacy.card_token),
	privacy.card_token_ge(privacy.card_token, privacy.card_token),
	privacy.card_token_cmp(privacy.card_token, privacy.card_token),
	privacy.card_token_hash(privacy.card_token),
	privacy.card_token_hash_extended(privacy.card_token, bigint),
	privacy.card_token_in(cstring), privacy.card_token_out(privacy.card_token),
	privacy.card_token_recv(internal), privacy.card_token_send(privacy.card_token) TO PUBLIC;

CREATE OPERATOR privacy.= (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_eq,
	COMMUTATOR = OPERATOR(privacy.=), NEGATOR = OPERATOR(privacy.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR privacy.<> (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_ne,
	COMMUTATOR = OPERATOR(privacy.<>), NEGATOR = OPERATOR(privacy.=), RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR privacy.< (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_lt,
	COMMUTATOR = OPERATOR(privacy.>), NEGATOR = OPERATOR(privacy.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR privacy.<= (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_le,
	COMMUTATOR = OPERATOR(privacy.>=), NEGATOR = OPERATOR(privacy.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR privacy.> (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_gt,
	COMMUTATOR = OPERATOR(privacy.<), NEGATOR = OPERATOR(privacy.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR privacy.>= (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_ge,
	COMMUTATOR = OPERATOR(privacy.<=), NEGATOR = OPERATOR(privacy.<), RESTRICT = scalargesel, JOIN = scalargejoinsel
);

CREATE OPERATOR CLASS privacy.card_token_ops DEFAULT FOR TYPE privacy.card_token USING btree AS
	OPERATOR 1 privacy.<,
	OPERATOR 2 privacy.<=,
	OPERATOR 3 privacy.=,
	OPERATOR 4 privacy.>=,
	OPERATOR 5 privacy.>,
	FUNCTION 1 privacy.card_token_cmp(privacy.card_token, privacy.card_token),
	FUNCTION 4 (privacy.card_token, privacy.card_token) pg_catalog.btequalimage(oid);

CREATE OPERATOR CLASS privacy.card_token_hash_ops DEFAULT FOR TYPE privacy.card_token USING hash AS
	OPERATOR 1 privacy.=,
	FUNCTION 1 privacy.card_token_hash(privacy.card_token),
	FUNCTION 2 privacy.card_token_hash_extended(privacy.card_token, bigint);

-- Casts: card_token -> text is binary (the digits); text -> card_token
-- validates through the input function and never tokenizes.
CREATE CAST (privacy.card_token AS text) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (text AS privacy.card_token) WITH INOUT AS ASSIGNMENT;

-- Function privileges. Per-schema default privileges cannot revoke the
-- global PUBLIC EXECUTE default, so every function is revoked explicitly and
-- granted where intended (detokenize and the card_token support functions).
REVOKE ALL ON FUNCTION privacy.create_key(text), privacy.rotate_key(text), privacy.import_key(text, bytea),
	privacy.drop_key(text, boolean), privacy._invalidate_keys(),
	privacy.create_token_format(text, text, text, text, integer, integer), privacy.drop_token_format(text),
	privacy.tokenize(text, text),
	privacy.fpe_encrypt(text, text, text, bytea, text, integer),
	privacy.fpe_decrypt(text, text, text, bytea, text, integer),
	privacy._token_key_version(text, text), privacy._retokenize_value(text, text),
	privacy.retokenize(regclass, name, text, integer),
	privacy.grant_detokenize(regrole, text), privacy.revoke_detokenize(regrole, text) FROM PUBLIC;
