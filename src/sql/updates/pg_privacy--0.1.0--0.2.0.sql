-- pg_privacy--0.1.0--0.2.0.sql: ALTER EXTENSION pg_privacy UPDATE TO '0.2.0'.
-- Every change this release makes to SQL objects, in the order the parts
-- (src/sql/parts) would create them; an updated database must equal a fresh
-- 0.2.0 install (test/upgrade checks it).
\echo Use "ALTER EXTENSION pg_privacy UPDATE TO '0.2.0'" to load this file. \quit

-- issue 20: key versions that never collide, rotation for every format, raw FPE
-- that cannot read formats' tokens (and is audited), per-version shredding
CREATE TABLE privacy._token_format_version (
	format      text PRIMARY KEY,
	key_version integer NOT NULL CHECK (key_version >= 1)
);
COMMENT ON TABLE privacy._token_format_version IS
'the key version each non-card token format uses (set by privacy.retokenize; no row: the key''s oldest version)';
SELECT pg_catalog.pg_extension_config_dump('privacy._token_format_version', '');
REVOKE ALL ON privacy._token_format_version FROM PUBLIC;
COMMENT ON VIEW privacy.keys IS
'data keys and their versions (metadata only); active: the newest version, which new card tokens, retokenize and raw FPE calls use';
CREATE OR REPLACE VIEW privacy.token_formats AS
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
	INSERT INTO privacy._token_format_version AS v (format, key_version)
	VALUES (_set_format_version.format, _set_format_version.key_version)
	ON CONFLICT ON CONSTRAINT _token_format_version_pkey DO UPDATE SET key_version = excluded.key_version;
	PERFORM privacy._invalidate_keys();
END
$$;
COMMENT ON FUNCTION privacy._set_format_version(text, integer) IS
'retokenize: records the key version a non-card format uses, in the transaction that moved its tokens';
CREATE OR REPLACE FUNCTION privacy.drop_token_format(name text)
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
CREATE FUNCTION privacy.detokenize(token text, format text, key_version integer)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_detokenize'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.detokenize(text, text, integer) IS
'the value of a token made with the given key version (a version column kept next to the tokens); privileged and audited like detokenize(token, format)';
GRANT EXECUTE ON FUNCTION privacy.detokenize(text, text, integer) TO PUBLIC;
COMMENT ON FUNCTION privacy.fpe_encrypt(text, text, text, bytea, text, integer) IS
'raw FF1 (mode ''ff1'') or FF3-1 (mode ''ff3-1'', 7-byte tweak) encryption with a data key (key_version 0: newest); refuses a token format''s tweak';
ALTER FUNCTION privacy.fpe_decrypt(text, text, text, bytea, text, integer) VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.fpe_decrypt(text, text, text, bytea, text, integer) IS
'raw FF1/FF3-1 decryption with a data key; audited; refuses a token format''s tweak; not granted to PUBLIC';
CREATE FUNCTION privacy._retokenize_value(token text, format text, from_version integer, to_version integer DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_value'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_value(text, text, integer, integer) IS
'the token, made with key version from_version (0: the one a card token carries), of the same value under key version to_version (0: the newest); the value never leaves C';
CREATE OR REPLACE FUNCTION privacy.retokenize(tbl regclass, col name, format text DEFAULT 'card', batch_size integer DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	moved bigint := 0;
	n bigint;
	newest integer;
	key text;
	kind text;
	from_version integer;
	rels oid[];
	atts name[];
	kinds text[];
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
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attname = col
	               AND a.attnum > 0 AND NOT a.attisdropped) THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = 'undefined_column';
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
		FOR i IN 1 .. coalesce(array_length(rels, 1), 0) LOOP
			CONTINUE WHEN kinds[i] <> 'r';
			EXECUTE format('UPDATE ONLY %s SET %I = privacy._retokenize_value(%I::text, $1, $2, $3) WHERE %I IS NOT NULL',
			               rels[i]::regclass, atts[i], atts[i], atts[i])
				USING format, from_version, newest;
			GET DIAGNOSTICS n = ROW_COUNT;
			moved := moved + n;
		END LOOP;
		PERFORM privacy._set_format_version(format, newest);
		RETURN moved;
	END IF;
	LOOP
		-- to the version the loop compares with, even if a rotation commits meanwhile
		EXECUTE format('UPDATE %s SET %I = privacy._retokenize_value(%I::text, $1, 0, $2) WHERE ctid = ANY (ARRAY('
		               'SELECT ctid FROM %s WHERE %I IS NOT NULL AND privacy._token_key_version(%I::text, $1) '
		               'OPERATOR(pg_catalog.<>) $2 LIMIT $3))', tbl, col, col, tbl, col, col)
			USING format, newest, batch_size;
		GET DIAGNOSTICS n = ROW_COUNT;
		EXIT WHEN n = 0;
		moved := moved + n;
	END LOOP;
	RETURN moved;
END
$$;
COMMENT ON FUNCTION privacy.retokenize(regclass, name, text, integer) IS
'moves tokens to the newest version of the format''s key and returns how many moved: card tokens of the column in batches, other formats: every column classified with the format (the column must be one) and the format itself, in one transaction';
REVOKE ALL ON FUNCTION privacy._retokenize_value(text, text, integer, integer), privacy.drop_key_version(text, integer, boolean),
	privacy._forget_format_versions(text), privacy._set_format_version(text, integer) FROM PUBLIC;
-- as 60_separation_of_duties: administrative functions check their caller themselves
GRANT EXECUTE ON FUNCTION privacy.drop_key_version(text, integer, boolean), privacy._forget_format_versions(text),
	privacy._set_format_version(text, integer) TO PUBLIC;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._token_format_version
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
