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
	master_key_id text,
	PRIMARY KEY (name, version)
);
COMMENT ON TABLE privacy._key IS
'data keys: wrapped = 24-byte nonce || XChaCha20-Poly1305 ciphertext of the key under the master key master_key_id (AD: name, version; no id: wrapped before 0.2.0)';

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

-- The key version a format whose tokens cannot carry it (every kind but
-- card) uses; no row: the key's oldest version (as in 0.1.0). Moved only by
-- privacy.retokenize, in the transaction that rewrites the format's tokens.
-- A table of its own so that it is dumped for built-in formats too.
CREATE TABLE privacy._token_format_version (
	format      text PRIMARY KEY,
	key_version integer NOT NULL CHECK (key_version >= 1)
);
COMMENT ON TABLE privacy._token_format_version IS
'the key version each non-card token format uses (set by privacy.retokenize; no row: the key''s oldest version)';

CREATE TABLE privacy._detokenize_grant (
	role       regrole NOT NULL,
	format     text NOT NULL,
	granted_by name NOT NULL,
	granted_at timestamptz NOT NULL,
	PRIMARY KEY (role, format)
);
COMMENT ON TABLE privacy._detokenize_grant IS 'roles allowed to detokenize a format (privacy.grant_detokenize)';

CREATE TABLE privacy.audit_log (
	logged_at      timestamptz NOT NULL,
	role_name      name NOT NULL,
	session_role   name NOT NULL,
	action         text NOT NULL,
	format         text,
	value_count    bigint,
	object         text,
	old_definition text,
	new_definition text
);
COMMENT ON TABLE privacy.audit_log IS
'append-only audit: detokenizations (format, value_count) and subject exports (object, value_count), recorded even when their transaction aborts, and policy changes (object, old and new definition); never a protected value';

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
SELECT pg_catalog.pg_extension_config_dump('privacy._token_format_version', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._detokenize_grant', '');
SELECT pg_catalog.pg_extension_config_dump('privacy.audit_log', '');
REVOKE ALL ON privacy._key, privacy._token_format, privacy._detokenize_grant, privacy.audit_log FROM PUBLIC;
REVOKE ALL ON privacy._token_format_version FROM PUBLIC;

-- Metadata views (never key material).
CREATE VIEW privacy.keys AS
SELECT k.name, k.version, k.created_at, k.algorithm,
	k.version OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(k2.version) FROM privacy._key k2
	                                   WHERE k2.name OPERATOR(pg_catalog.=) k.name) AS active,
	k.master_key_id
FROM privacy._key k;
COMMENT ON VIEW privacy.keys IS
'data keys and their versions (metadata only); active: the newest version, which new card tokens, retokenize and raw FPE calls use; master_key_id: the id (not the key) of the master key that wraps it, NULL before 0.2.0';
GRANT SELECT ON privacy.keys TO PUBLIC;

CREATE VIEW privacy.token_formats AS
SELECT f.name, f.kind, f.builtin, f.alphabet, f.passthrough, f.keep_prefix, f.keep_suffix, f.min_chars, f.max_chars,
	f.key_name, f.kind OPERATOR(pg_catalog.=) 'card' AS versioned,
	CASE WHEN f.kind OPERATOR(pg_catalog.=) 'card'
	     THEN (SELECT pg_catalog.max(k.version) FROM privacy._key k WHERE k.name OPERATOR(pg_catalog.=) f.key_name)
	     ELSE coalesce((SELECT v.key_version FROM privacy._token_format_version v WHERE v.format OPERATOR(pg_catalog.=) f.name),
	                   (SELECT pg_catalog.min(k.version) FROM privacy._key k WHERE k.name OPERATOR(pg_catalog.=) f.key_name))
	END AS key_version
FROM privacy._token_format f;
COMMENT ON VIEW privacy.token_formats IS
'token formats; versioned: tokens carry their key version (card), key_version: the version new tokens use (card: the newest; others: moved by retokenize)';
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

CREATE FUNCTION privacy.import_key(name text, material bytea DEFAULT NULL, material_file text DEFAULT NULL,
	material_command text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_import_key'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.import_key(text, bytea, text, text) IS
'stores key material (16, 24 or 32 bytes) as the next version of a data key, read from material_file or printed by material_command (hex) so that it never appears in a query text, or given as material (then run it with SET LOCAL log_statement = ''none''); superuser only';

CREATE FUNCTION privacy.drop_key(name text, force boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy_drop_key'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.drop_key(text, boolean) IS
'crypto-shredding: deletes every version of a data key; tokens made with it can never be detokenized again (force => true when token formats use the key)';

CREATE FUNCTION privacy.drop_key_version(name text, version integer, force boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	newest integer;
	oldest integer;
	users text;
BEGIN
	PERFORM privacy._check_policy_admin('drop data key versions');
	IF drop_key_version.name IS NULL OR drop_key_version.version IS NULL OR force IS NULL THEN
		RAISE EXCEPTION 'key name, version and force must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF octet_length(drop_key_version.name) NOT BETWEEN 1 AND 63 THEN
		RAISE EXCEPTION 'key name must have 1 to 63 bytes' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- serializes with rotate_key, retokenize and other drops of this key
	PERFORM FROM privacy._key k WHERE k.name = drop_key_version.name FOR UPDATE;
	SELECT max(k.version), min(k.version) INTO newest, oldest FROM privacy._key k WHERE k.name = drop_key_version.name;
	IF NOT EXISTS (SELECT FROM privacy._key k WHERE k.name = drop_key_version.name AND k.version = drop_key_version.version) THEN
		RAISE EXCEPTION 'data key "%" has no version %', drop_key_version.name, drop_key_version.version
			USING ERRCODE = 'undefined_object';
	END IF;
	IF drop_key_version.version = newest THEN
		RAISE EXCEPTION 'cannot drop the newest version of data key "%"', drop_key_version.name
			USING ERRCODE = 'object_in_use',
			      DETAIL = 'New tokens are made with it.',
			      HINT = 'Rotate the key first, or drop the whole key with privacy.drop_key().';
	END IF;
	-- formats whose tokens do not carry a version and that still use it
	SELECT string_agg(f.name, ', ' ORDER BY f.name) INTO users
	FROM privacy._token_format f LEFT JOIN privacy._token_format_version v ON v.format = f.name
	WHERE f.key_name = drop_key_version.name AND f.kind <> 'card'
	  AND coalesce(v.key_version, oldest) = drop_key_version.version;
	IF users IS NOT NULL AND NOT force THEN
		RAISE EXCEPTION 'version % of data key "%" is used by token formats', drop_key_version.version, drop_key_version.name
			USING ERRCODE = 'object_in_use',
			      DETAIL = format('Formats: %s. Their tokens are made with this version and could never be detokenized again.', users),
			      HINT = 'Move their tokens with privacy.retokenize() first, or pass force => true to crypto-shred them.';
	END IF;
	DELETE FROM privacy._key k WHERE k.name = drop_key_version.name AND k.version = drop_key_version.version;
	-- with force, formats that used the version fall back to the oldest live one
	DELETE FROM privacy._token_format_version v
	USING privacy._token_format f
	WHERE v.format = f.name AND f.key_name = drop_key_version.name AND v.key_version = drop_key_version.version;
	PERFORM privacy._invalidate_keys();
	RAISE WARNING 'version % of data key "%" was destroyed: tokens made with it can never be detokenized again',
		drop_key_version.version, drop_key_version.name
		USING DETAIL = 'This is crypto-shredding; it cannot be undone except by restoring a backup that holds the key.';
END
$$;
COMMENT ON FUNCTION privacy.drop_key_version(text, integer, boolean) IS
'crypto-shredding of one version of a data key (never the newest), which frees its card version slot for a later rotation (force => true when a format still uses it)';

CREATE FUNCTION privacy._forget_format_versions(key text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('drop data keys');
	IF _forget_format_versions.key IS NULL THEN
		RAISE EXCEPTION 'key name must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	DELETE FROM privacy._token_format_version v USING privacy._token_format f
	WHERE v.format = f.name AND f.key_name = _forget_format_versions.key;
END
$$;
COMMENT ON FUNCTION privacy._forget_format_versions(text) IS
'drop_key: the formats of a dropped key go back to its oldest version (a key created again starts at version 1)';

CREATE FUNCTION privacy._set_format_version(format text, key_version integer)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('retokenize');
	IF _set_format_version.format IS NULL OR _set_format_version.key_version IS NULL THEN
		RAISE EXCEPTION 'format and key version must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- only a version of the format's own key: any other would make its
	-- tokens detokenize under the wrong key
	IF NOT EXISTS (SELECT FROM privacy._token_format f JOIN privacy._key k ON k.name = f.key_name
	               WHERE f.name = _set_format_version.format AND k.version = _set_format_version.key_version) THEN
		RAISE EXCEPTION 'token format "%" has no key version %', _set_format_version.format, _set_format_version.key_version
			USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO privacy._token_format_version AS v (format, key_version)
	VALUES (_set_format_version.format, _set_format_version.key_version)
	ON CONFLICT ON CONSTRAINT _token_format_version_pkey DO UPDATE SET key_version = excluded.key_version;
	PERFORM privacy._invalidate_keys();
END
$$;
COMMENT ON FUNCTION privacy._set_format_version(text, integer) IS
'retokenize: records the key version a non-card format uses, in the transaction that moved its tokens';

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
	DELETE FROM privacy._token_format_version v WHERE v.format = drop_token_format.name;
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

-- The set-based form: the tokens of an array of values, element by element
-- (NULLs stay NULL, the shape is kept), through the batch path (values of one
-- length run side by side through FF1). The fast path for INSERT ... SELECT:
-- aggregate the values, tokenize the array, unnest it. Same privileges as
-- tokenize(text, text).
CREATE FUNCTION privacy.tokenize(value text[], format text)
RETURNS text[]
AS 'MODULE_PATHNAME', 'pg_privacy_tokenize_array'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.tokenize(text[], text) IS
'the tokens of an array of values (element by element, NULLs kept), through the batch path; same tokens and privileges as tokenize(text, text)';

CREATE FUNCTION privacy.detokenize(token text, format text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_detokenize'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.detokenize(text, text) IS
'the value of a token; requires privacy.grant_detokenize() on the format; audited in privacy.audit_log';
GRANT EXECUTE ON FUNCTION privacy.detokenize(text, text) TO PUBLIC;

CREATE FUNCTION privacy.detokenize(token text, format text, key_version integer)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_detokenize'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.detokenize(text, text, integer) IS
'the value of a token made with the given key version (a version column kept next to the tokens); privileged and audited like detokenize(token, format)';
GRANT EXECUTE ON FUNCTION privacy.detokenize(text, text, integer) TO PUBLIC;

CREATE FUNCTION privacy.fpe_encrypt(value text, key text, alphabet text DEFAULT '0123456789',
	tweak bytea DEFAULT '', mode text DEFAULT 'ff1', key_version integer DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fpe_encrypt'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fpe_encrypt(text, text, text, bytea, text, integer) IS
'raw FF1 (mode ''ff1'') or FF3-1 (mode ''ff3-1'', 7-byte tweak) encryption with a data key (key_version 0: newest); refuses a token format''s tweak';

CREATE FUNCTION privacy.fpe_decrypt(value text, key text, alphabet text DEFAULT '0123456789',
	tweak bytea DEFAULT '', mode text DEFAULT 'ff1', key_version integer DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fpe_decrypt'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.fpe_decrypt(text, text, text, bytea, text, integer) IS
'raw FF1/FF3-1 decryption with a data key; audited; refuses a token format''s tweak; not granted to PUBLIC';

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

CREATE FUNCTION privacy._retokenize_value(token text, format text, from_version integer, to_version integer DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_value'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_value(text, text, integer, integer) IS
'the token, made with key version from_version (0: the one a card token carries), of the same value under key version to_version (0: the newest); the value never leaves C';

CREATE FUNCTION privacy._retokenize_values(tokens text[], format text, from_version integer, to_version integer)
RETURNS text[]
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_values'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_values(text[], text, integer, integer) IS
'_retokenize_value for every element of an array (NULLs kept), through the batch path; the values never leave C';

-- The card retokenize writes each row once: one UPDATE, run as the table's
-- owner, computes the new tokens itself. The two functions it calls are
-- executable by everyone but work only with the ticket that
-- privacy.retokenize (a policy admin) took in this transaction and passes
-- as a bind parameter, which the owner's code cannot read.
CREATE FUNCTION privacy._retokenize_ticket(format text, to_version integer)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_ticket'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_ticket(text, integer) IS
'retokenize: a random ticket admitting _retokenize_in_place and _retokenize_needed for the format and target version, in this transaction (to_version 0: ends the current ticket)';

CREATE FUNCTION privacy._retokenize_in_place(token text, format text, ticket bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_in_place'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_in_place(text, text, bigint) IS
'retokenize: the token of the same value under the ticket''s key version (only with this transaction''s ticket); the value never leaves C';

CREATE FUNCTION privacy._retokenize_needed(token text, format text, ticket bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_needed'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_needed(text, text, bigint) IS
'retokenize: whether a token was made with another key version than the ticket''s (only with this transaction''s ticket)';

-- privacy.retokenize: the new tokens are computed by pg_privacy (as the
-- extension owner: the values never leave C; a batch at a time through the
-- FF1 batch path, privacy._retokenize_values), then written by UPDATEs run as
-- the table's owner (privacy._exec_as_owner), so the table's triggers run
-- with the owner's rights, never the caller's or a superuser's. Card tokens
-- carry their version and move in batches; other formats move every column
-- classified with them in one transaction, with the version they record.
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
	kind text;
	from_version integer;
	coltype text;
	rels oid[];
	atts name[];
	kinds text[];
	ids tid[];
	olds text[];
	news text[];
	ticket bigint;
	last bigint;
	stuck boolean := false;
BEGIN
	PERFORM privacy._check_policy_admin('retokenize');
	IF tbl IS NULL OR col IS NULL OR format IS NULL OR batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'table, column, format and a positive batch size are required'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT f.key_name, f.kind INTO key, kind FROM privacy._token_format f WHERE f.name = format;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'token format "%" does not exist', format USING ERRCODE = 'undefined_object';
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
	-- the tokens are read (cast to text) with pg_privacy's rights: only
	-- built-in types and card_token, whose casts no role can redefine (a
	-- type's owner could attach a cast to text that runs its own code)
	IF EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attname = col
	           AND a.atttypid >= 16384 AND a.atttypid <> 'privacy.card_token'::pg_catalog.regtype) THEN
		RAISE EXCEPTION 'column "%" of relation % does not have a built-in type or privacy.card_token', col, tbl
			USING ERRCODE = 'feature_not_supported', HINT = 'Keep tokens in text, varchar or privacy.card_token columns.';
	END IF;
	-- a DO INSTEAD rule on UPDATE replaces the UPDATE that moves the tokens
	-- with the owner's action, whose row count would be taken for moved
	-- tokens (red team 5 F12a: the card passes looped until the statement
	-- timeout; other formats would record a version their tokens lack)
	IF EXISTS (SELECT FROM pg_catalog.pg_rewrite r WHERE r.ev_class = tbl AND r.ev_type = '2' AND r.is_instead) THEN
		RAISE EXCEPTION 'cannot retokenize %: a DO INSTEAD rule on UPDATE replaces the update of its tokens', tbl
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'Drop the rule (the table''s owner can) and retokenize, then create it again.';
	END IF;
	IF kind <> 'card' THEN
		-- Tokens of this format do not carry their version: every column that
		-- holds them moves in this transaction, together with the version the
		-- format records. The columns are those classified with the format
		-- (privacy.classify(..., token_format => format)), tbl.col among them.
		-- the classification is the list of columns that move together: a
		-- column not in it is refused (it may hold another format's tokens,
		-- which a move would corrupt, and it would be missed next time)
		IF NOT EXISTS (SELECT FROM privacy._classification c
		               WHERE c.relid = tbl AND c.column_name = col AND c.token_format = retokenize.format) THEN
			RAISE EXCEPTION 'column "%" of relation % is not classified as holding tokens of format "%"', col, tbl, format
				USING ERRCODE = 'object_not_in_prerequisite_state',
				      DETAIL = 'Tokens of this format do not carry their key version: every column that holds them moves in one transaction, and the classification is the list of those columns.',
				      HINT = format('Declare it with privacy.classify(%L, %L, category, token_format => %L).', tbl::text, col, format);
		END IF;
		PERFORM FROM privacy._key k WHERE k.name = key FOR UPDATE; -- no concurrent drop_key_version/rotate
		SELECT coalesce((SELECT v.key_version FROM privacy._token_format_version v WHERE v.format = retokenize.format),
		                (SELECT min(k.version) FROM privacy._key k WHERE k.name = key)) INTO from_version;
		IF from_version = newest THEN
			RETURN 0;
		END IF;
		IF NOT EXISTS (SELECT FROM privacy._key k WHERE k.name = key AND k.version = from_version) THEN
			RAISE EXCEPTION 'data key "%" has no version %, which token format "%" uses', key, from_version, format
				USING ERRCODE = 'undefined_object';
		END IF;
		-- Every token must move exactly once: a token moved twice is garbage.
		-- Targets are expanded to the tables that store rows (partitions and
		-- inheritance children), each updated ONLY once even when reached
		-- through a parent and itself; views and foreign tables are refused
		-- (their rows live elsewhere and could be reached twice).
		IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
			RAISE EXCEPTION 'retokenize of format "%" needs READ COMMITTED', format
				USING ERRCODE = 'feature_not_supported',
				      DETAIL = 'Rows committed by writers it waited for must be visible to it.';
		END IF;
		WITH RECURSIVE named(relid, attname) AS (
			SELECT tbl::oid, col
			UNION
			SELECT c.relid::oid, c.column_name FROM privacy._classification c WHERE c.token_format = retokenize.format
		), tree(relid, attname) AS (
			SELECT n.relid, n.attname FROM named n
			UNION
			SELECT i.inhrelid, t.attname FROM pg_catalog.pg_inherits i JOIN tree t ON i.inhparent = t.relid
		)
		SELECT array_agg(t.relid ORDER BY t.relid, t.attname), array_agg(t.attname ORDER BY t.relid, t.attname),
		       array_agg(c.relkind::text ORDER BY t.relid, t.attname)
		INTO rels, atts, kinds
		FROM tree t JOIN pg_catalog.pg_class c ON c.oid = t.relid
		JOIN pg_catalog.pg_attribute a ON a.attrelid = t.relid AND a.attname = t.attname AND a.attnum > 0 AND NOT a.attisdropped;
		FOR i IN 1 .. coalesce(array_length(rels, 1), 0) LOOP
			IF EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = rels[i] AND a.attname = atts[i]
			           AND a.atttypid >= 16384 AND a.atttypid <> 'privacy.card_token'::pg_catalog.regtype) THEN
				RAISE EXCEPTION 'column "%" of relation % does not have a built-in type or privacy.card_token', atts[i], rels[i]::regclass
					USING ERRCODE = 'feature_not_supported', HINT = 'Keep tokens in text, varchar or privacy.card_token columns.';
			END IF;
			IF EXISTS (SELECT FROM pg_catalog.pg_rewrite r WHERE r.ev_class = rels[i] AND r.ev_type = '2' AND r.is_instead) THEN
				RAISE EXCEPTION 'cannot retokenize %: a DO INSTEAD rule on UPDATE replaces the update of its tokens', rels[i]::regclass
					USING ERRCODE = 'object_not_in_prerequisite_state',
					      HINT = 'Drop the rule (the table''s owner can) and retokenize, then create it again.';
			END IF;
			IF kinds[i] NOT IN ('r', 'p') THEN
				RAISE EXCEPTION 'cannot retokenize format "%" through %', format, rels[i]::regclass
					USING ERRCODE = 'wrong_object_type',
					      HINT = 'Classify the columns of the tables that store the tokens, not of views or foreign tables.';
			END IF;
		END LOOP;
		-- writers wait (parents too: an INSERT through a parent locks it before computing tokens)
		FOR i IN 1 .. coalesce(array_length(rels, 1), 0) LOOP
			EXECUTE format('LOCK TABLE %s IN EXCLUSIVE MODE', rels[i]::regclass);
		END LOOP;
		-- each storing table once: the new tokens are computed here (the values
		-- never leave C), then written by one UPDATE ONLY run as the table's
		-- owner (its triggers run with the owner's rights)
		FOR i IN 1 .. coalesce(array_length(rels, 1), 0) LOOP
			CONTINUE WHEN kinds[i] <> 'r';
			SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO coltype FROM pg_catalog.pg_attribute a
			WHERE a.attrelid = rels[i] AND a.attname = atts[i];
			EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(ctid), pg_catalog.array_agg(%1$I::text), '
			               'privacy._retokenize_values(pg_catalog.array_agg(%1$I::text), $1, $2, $3) '
			               'FROM ONLY %2$s WHERE %1$I IS NOT NULL', atts[i], rels[i]::regclass)
				INTO ids, olds, news USING format, from_version, newest;
			CONTINUE WHEN ids IS NULL;
			n := privacy._exec_as_owner(rels[i]::regclass, pg_catalog.format('UPDATE ONLY %1$s t SET %2$I = v.new::%3$s '
			               'FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.tid[]), pg_catalog.unnest($2::text[]), '
			               'pg_catalog.unnest($3::text[])) AS v(id, old, new) '
			               'WHERE t.ctid OPERATOR(pg_catalog.=) v.id AND t.%2$I::text OPERATOR(pg_catalog.=) v.old',
			               rels[i]::regclass, atts[i], coltype),
				ids, olds, news);
			-- writers wait, so every row read above is still there: a row the
			-- UPDATE did not write was skipped by the owner's BEFORE UPDATE
			-- trigger (it returned NULL) or hidden by the owner's row security,
			-- and would keep a token of the version the format no longer records
			IF n <> pg_catalog.cardinality(ids) THEN
				RAISE EXCEPTION 'cannot retokenize %: % of its % tokens were not updated', rels[i]::regclass,
					pg_catalog.cardinality(ids) - n, pg_catalog.cardinality(ids)
					USING ERRCODE = 'object_not_in_prerequisite_state',
					      DETAIL = 'The update of their rows was skipped (a BEFORE UPDATE trigger of the table returned NULL) or they are hidden from the table''s owner by row security. Nothing was moved.',
					      HINT = 'Let the table''s triggers pass this update (or disable them) and retokenize again.';
			END IF;
			moved := moved + n;
		END LOOP;
		PERFORM privacy._set_format_version(format, newest);
		RETURN moved;
	END IF;
	-- Card tokens carry their version: one UPDATE, run as the table's owner
	-- (its triggers run with the owner's rights), computes each new token
	-- and writes it, reading every row once. The functions it calls work
	-- only with this transaction's ticket, a bind parameter the owner's code
	-- cannot read; the target version is the one the ticket names, even if
	-- a rotation commits meanwhile. A row committed behind the statement's
	-- snapshot is moved by the next pass, until a pass moves nothing. Each
	-- pass after the first only sees rows committed during the one before,
	-- so it must report fewer: a pass that does not (a trigger of the owner
	-- that keeps the old token, or reports rows it did not move) stops the
	-- loop with an error instead of running until the statement timeout.
	-- A pass that moves nothing ends the loop only if no row the owner sees
	-- still holds a token of another version: rows whose update the owner's
	-- BEFORE UPDATE (or INSTEAD OF) trigger skips by returning NULL would
	-- otherwise be left behind silently. One more pass first, for a row
	-- committed between the pass and the check; a second pass in a row that
	-- moves nothing while rows are left is an error.
	ticket := privacy._retokenize_ticket(format, newest);
	last := NULL;
	LOOP
		n := privacy._exec_as_owner(tbl, pg_catalog.format('UPDATE %1$s t SET %2$I = '
		               'privacy._retokenize_in_place(t.%2$I::text, $1, $2)::%3$s '
		               'WHERE t.%2$I IS NOT NULL AND privacy._retokenize_needed(t.%2$I::text, $1, $2)',
		               tbl, col, coltype),
			format, ticket);
		IF n = 0 THEN
			EXIT WHEN privacy._exec_as_owner(tbl, pg_catalog.format('SELECT FROM %1$s t '
			               'WHERE t.%2$I IS NOT NULL AND privacy._retokenize_needed(t.%2$I::text, $1, $2) LIMIT 1',
			               tbl, col),
				format, ticket) = 0;
			IF stuck THEN
				RAISE EXCEPTION 'cannot retokenize %: the update of rows whose tokens must move was skipped', tbl
					USING ERRCODE = 'object_not_in_prerequisite_state',
					      DETAIL = 'A trigger of the table (BEFORE UPDATE, or INSTEAD OF UPDATE on a view) returned NULL for rows whose tokens must move, so they would keep their old tokens. Nothing was moved.',
					      HINT = 'Let the table''s triggers pass this update (or disable them) and retokenize again.';
			END IF;
			stuck := true;
			CONTINUE;
		END IF;
		stuck := false;
		IF last IS NOT NULL AND n >= last THEN
			RAISE EXCEPTION 'cannot retokenize %: its tokens do not move', tbl
				USING ERRCODE = 'object_not_in_prerequisite_state',
				      DETAIL = 'A pass reported as many rows as the one before: a trigger or rule of the table keeps the tokens from being updated.',
				      HINT = 'Disable the table''s triggers and rules that change the update, or retry if writers were busy.';
		END IF;
		last := n;
		moved := moved + n;
	END LOOP;
	PERFORM privacy._retokenize_ticket(format, 0); -- the ticket dies here
	RETURN moved;
END
$$;
COMMENT ON FUNCTION privacy.retokenize(regclass, name, text, integer) IS
'moves tokens to the newest version of the format''s key and returns how many moved: card tokens of the column in one UPDATE as the table''s owner (batch_size is no longer used), other formats: every column classified with the format (the column must be one) and the format itself, in one transaction';

-- privacy.audit_wait(timeout): detokenizations and subject exports are
-- recorded outside the disclosing transaction, through a queue in shared
-- memory that the audit writer drains into privacy.audit_log; this waits
-- (polling, at most timeout) until no record of this database is still
-- queued. Reveals nothing but whether the queue is drained.
CREATE FUNCTION privacy.audit_wait(timeout interval DEFAULT '30 seconds')
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy_audit_wait'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION privacy.audit_wait(interval) IS
'waits (at most timeout) until the disclosure records of this database are written to privacy.audit_log; true when they are';
GRANT EXECUTE ON FUNCTION privacy.audit_wait(interval) TO PUBLIC;

-- Detokenize privileges.
CREATE FUNCTION privacy.grant_detokenize(role regrole, format text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('grant detokenize'), privacy._check_exemption_grantee(role, 'grant detokenize');
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

-- The comparison operators live in pg_catalog, which every search_path
-- includes: with them in schema privacy, "card = '...'" on a search_path
-- without privacy resolved to text = text through the implicit cast to text
-- and never used an index on the column. Their argument types are ours, so
-- they cannot capture comparisons of any other type.
CREATE OPERATOR pg_catalog.= (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_eq,
	COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR pg_catalog.<> (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_ne,
	COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=), RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR pg_catalog.< (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_lt,
	COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR pg_catalog.<= (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_le,
	COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR pg_catalog.> (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_gt,
	COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR pg_catalog.>= (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_ge,
	COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<), RESTRICT = scalargesel, JOIN = scalargejoinsel
);

CREATE OPERATOR CLASS privacy.card_token_ops DEFAULT FOR TYPE privacy.card_token USING btree AS
	OPERATOR 1 pg_catalog.<,
	OPERATOR 2 pg_catalog.<=,
	OPERATOR 3 pg_catalog.=,
	OPERATOR 4 pg_catalog.>=,
	OPERATOR 5 pg_catalog.>,
	FUNCTION 1 privacy.card_token_cmp(privacy.card_token, privacy.card_token),
	FUNCTION 4 (privacy.card_token, privacy.card_token) pg_catalog.btequalimage(oid);

CREATE FUNCTION privacy.rewrap_keys()
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_rewrap_keys'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.rewrap_keys() IS
'master-key rotation: re-wraps every data key and the masking secret under the configured master key (unwrapping with privacy.previous_master_key_file/_command), all or nothing; returns how many were re-wrapped; superuser only';

CREATE OPERATOR CLASS privacy.card_token_hash_ops DEFAULT FOR TYPE privacy.card_token USING hash AS
	OPERATOR 1 pg_catalog.=,
	FUNCTION 1 privacy.card_token_hash(privacy.card_token),
	FUNCTION 2 privacy.card_token_hash_extended(privacy.card_token, bigint);

-- Casts: card_token -> text is binary (the digits); text -> card_token
-- validates through the input function and never tokenizes.
CREATE CAST (privacy.card_token AS text) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (text AS privacy.card_token) WITH INOUT AS ASSIGNMENT;

-- Function privileges. Per-schema default privileges cannot revoke the
-- global PUBLIC EXECUTE default, so every function is revoked explicitly and
-- granted where intended (detokenize and the card_token support functions).
REVOKE ALL ON FUNCTION privacy.create_key(text), privacy.rotate_key(text), privacy.import_key(text, bytea, text, text),
	privacy.rewrap_keys(),
	privacy.drop_key(text, boolean), privacy._invalidate_keys(),
	privacy.create_token_format(text, text, text, text, integer, integer), privacy.drop_token_format(text),
	privacy.tokenize(text, text), privacy.tokenize(text[], text),
	privacy.fpe_encrypt(text, text, text, bytea, text, integer),
	privacy.fpe_decrypt(text, text, text, bytea, text, integer),
	privacy._token_key_version(text, text), privacy._retokenize_value(text, text),
	privacy._retokenize_value(text, text, integer, integer), privacy._retokenize_values(text[], text, integer, integer),
	privacy._retokenize_ticket(text, integer),
	privacy.drop_key_version(text, integer, boolean),
	privacy._forget_format_versions(text), privacy._set_format_version(text, integer),
	privacy.retokenize(regclass, name, text, integer),
	privacy.grant_detokenize(regrole, text), privacy.revoke_detokenize(regrole, text) FROM PUBLIC;
