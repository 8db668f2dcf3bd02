-- 70_compliance.sql: compliance and data-subject rights (issue 6).
--
-- Inventory (privacy.classify, privacy.discover), the compliance views
-- (inventory, coverage_gaps, policies, effective_access), the subject
-- registry and the data-subject functions (export_subject, erase_subject).
--
-- Invariants:
--  * Nothing here ever prints a protected value: discovery reports counts of
--    sampled values that pass a validator, never the values; errors name
--    tables and columns only; the erasure audit row carries a pseudonym of
--    the subject (privacy.pseudonym(subject, 'erasure')), never the subject.
--  * Discovery reads a bounded sample of each table (LIMIT, and TABLESAMPLE
--    SYSTEM for tables much larger than the sample), never whole tables.
--  * Subject predicates are built from catalog names only (%I, regclass
--    output); the subject itself is always bound as $1.
--  * Erasure runs in the caller's transaction: every registered table or
--    none. Children (tables registered via a foreign key) are processed
--    before their parents; rows matching an active legal hold are kept and
--    reported with the hold's id and reason.

CREATE TABLE privacy._classification (
	relid         regclass NOT NULL,
	column_name   name NOT NULL,
	category      text NOT NULL CHECK (category IN ('email', 'phone', 'person_name', 'postal_address', 'national_id',
	                  'payment_card', 'iban', 'ip_address', 'date_of_birth', 'health', 'credentials', 'free_text', 'other')),
	token_format  text,
	classified_by name NOT NULL,
	classified_at timestamptz NOT NULL,
	PRIMARY KEY (relid, column_name)
);
COMMENT ON TABLE privacy._classification IS
'personal-data classification of columns (privacy.classify); token_format: the column holds tokens of that format';

CREATE TABLE privacy._subject_table (
	relid          regclass PRIMARY KEY,
	subject_column name NOT NULL,
	via            regclass,
	via_column     name,
	declared_by    name NOT NULL,
	declared_at    timestamptz NOT NULL,
	CHECK ((via IS NULL) = (via_column IS NULL))
);
COMMENT ON TABLE privacy._subject_table IS
'tables holding data about subjects: subject_column identifies the subject directly, or references via(via_column) by a foreign key';

CREATE TABLE privacy._discovery (
	relid       regclass NOT NULL,
	column_name name NOT NULL,
	category    text NOT NULL,
	confidence  numeric NOT NULL,
	evidence    text NOT NULL,
	found_by    name NOT NULL,
	found_at    timestamptz NOT NULL,
	PRIMARY KEY (relid, column_name)
);
COMMENT ON TABLE privacy._discovery IS
'latest findings of privacy.discover() (counts and keywords only, never sampled values)';

SELECT pg_catalog.pg_extension_config_dump('privacy._classification', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._subject_table', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._discovery', '');
REVOKE ALL ON privacy._classification, privacy._subject_table, privacy._discovery FROM PUBLIC;

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._classification
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._subject_table
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
-- purge runs: logged once each, when a run ends (progress updates are not)
CREATE TRIGGER audit_run_end AFTER UPDATE ON privacy._purge_log
	FOR EACH ROW WHEN (OLD.status = 'running' AND NEW.status <> 'running')
	EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit_run_skipped AFTER INSERT ON privacy._purge_log
	FOR EACH ROW WHEN (NEW.status <> 'running')
	EXECUTE FUNCTION privacy._audit_policy_change();

-- Classification ------------------------------------------------------------

CREATE FUNCTION privacy.classify(tbl regclass, col name, category text, token_format text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('classify columns', tbl);
	IF tbl IS NULL OR col IS NULL OR category IS NULL THEN
		RAISE EXCEPTION 'table, column and category must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- never a system catalog or pg_privacy's own tables: a category's
	-- protection would put its guard trigger on them
	IF tbl::oid OPERATOR(pg_catalog.<) 16384
	   OR (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl)
	      OPERATOR(pg_catalog.=) ANY (ARRAY['privacy'::regnamespace, 'pg_catalog'::regnamespace,
	                                        'information_schema'::regnamespace]) THEN
		RAISE EXCEPTION 'cannot classify columns of %', tbl USING ERRCODE = 'wrong_object_type',
			DETAIL = 'System catalogs and pg_privacy''s own tables hold no data pg_privacy protects.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
	               WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
	                 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = 'undefined_column';
	END IF;
	IF category OPERATOR(pg_catalog.<>) ALL (ARRAY['email', 'phone', 'person_name', 'postal_address', 'national_id',
	     'payment_card', 'iban', 'ip_address', 'date_of_birth', 'health', 'credentials', 'free_text', 'other']) THEN
		RAISE EXCEPTION 'unknown personal-data category "%"', category USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Use one of email, phone, person_name, postal_address, national_id, payment_card, iban, ip_address, date_of_birth, health, credentials, free_text, other.';
	END IF;
	IF token_format IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM privacy._token_format f WHERE f.name OPERATOR(pg_catalog.=) classify.token_format) THEN
		RAISE EXCEPTION 'token format "%" does not exist', token_format USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO privacy._classification AS c (relid, column_name, category, token_format, classified_by, classified_at)
	VALUES (tbl, col, classify.category, classify.token_format, privacy._outer_user(), now())
	ON CONFLICT ON CONSTRAINT _classification_pkey DO UPDATE
		SET category = excluded.category, token_format = excluded.token_format,
		    classified_by = excluded.classified_by, classified_at = excluded.classified_at;
	-- issue 18: the protection bound to the category applies (72_categories.sql)
	PERFORM privacy._apply_category(tbl, col);
END
$$;
COMMENT ON FUNCTION privacy.classify(regclass, name, text, text) IS
'declares a column as personal data of a category (optionally: holding tokens of a token format)';

CREATE FUNCTION privacy.unclassify(tbl regclass, col name)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('classify columns', tbl);
	DELETE FROM privacy._classification c
	WHERE c.relid OPERATOR(pg_catalog.=) tbl AND c.column_name OPERATOR(pg_catalog.=) col;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of table % is not classified', col, tbl USING ERRCODE = 'undefined_object';
	END IF;
	-- issue 18: a category protection no longer applies (72_categories.sql)
	PERFORM privacy._govern_categories(tbl);
END
$$;
COMMENT ON FUNCTION privacy.unclassify(regclass, name) IS 'removes the classification of a column';

-- The compliance views (privacy.inventory, coverage_gaps, policies,
-- effective_access) and privacy._protections read the category catalog
-- too: they are defined in 72_categories.sql.

-- Discovery ----------------------------------------------------------------

-- privacy._luhn_ok(digits): the Luhn check over a string of digits.
CREATE FUNCTION privacy._luhn_ok(digits text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT digits ~ '^[0-9]{12,19}$' AND (
		SELECT sum(CASE WHEN (pg_catalog.length(digits) OPERATOR(pg_catalog.-) i) OPERATOR(pg_catalog.%) 2 OPERATOR(pg_catalog.=) 1
		                THEN ((d OPERATOR(pg_catalog.*) 2) OPERATOR(pg_catalog./) 10) OPERATOR(pg_catalog.+) ((d OPERATOR(pg_catalog.*) 2) OPERATOR(pg_catalog.%) 10)
		                ELSE d END) OPERATOR(pg_catalog.%) 10 OPERATOR(pg_catalog.=) 0
		FROM (SELECT i, pg_catalog.substr(digits, i, 1)::integer AS d
		      FROM pg_catalog.generate_series(1, pg_catalog.length(digits)) AS i) s)
$$;
COMMENT ON FUNCTION privacy._luhn_ok(text) IS 'discovery validator: whether a digit string passes the Luhn check';

-- privacy._known_name(value): discovery validator: whether a value starts
-- with a first name of the fake_* dictionaries (en, fr, de), or is one first
-- or last name ("Ann Lee", "Marie", "Dupont"). Capitalised words alone are
-- as often products or places as people; a known given name is not.
CREATE FUNCTION privacy._known_name(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__known_name'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._known_name(text) IS
'discovery validator: whether a value starts with a known first name, or is one known first or last name';

-- privacy._iban_ok(value): IBAN shape and ISO 13616 mod-97 checksum.
CREATE FUNCTION privacy._iban_ok(value text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s text := pg_catalog.upper(pg_catalog.replace(value, ' ', ''));
	r text;
	ch text;
	rem integer := 0;
BEGIN
	IF s !~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$' THEN
		RETURN false;
	END IF;
	r := pg_catalog.substr(s, 5) OPERATOR(pg_catalog.||) pg_catalog.substr(s, 1, 4);
	FOREACH ch IN ARRAY pg_catalog.regexp_split_to_array(r, '') LOOP
		IF ch ~ '[0-9]' THEN
			rem := (rem OPERATOR(pg_catalog.*) 10 OPERATOR(pg_catalog.+) ch::integer) OPERATOR(pg_catalog.%) 97;
		ELSE
			rem := (rem OPERATOR(pg_catalog.*) 100 OPERATOR(pg_catalog.+) (pg_catalog.ascii(ch) OPERATOR(pg_catalog.-) 55)) OPERATOR(pg_catalog.%) 97;
		END IF;
	END LOOP;
	RETURN rem OPERATOR(pg_catalog.=) 1;
END
$$;
COMMENT ON FUNCTION privacy._iban_ok(text) IS 'discovery validator: IBAN shape and mod-97 checksum';

-- privacy._name_category(col): the category a column name suggests, from
-- keywords in English, French, German and Spanish (NULL: none), and the
-- keyword that matched. Words are matched between underscores or the ends.
CREATE FUNCTION privacy._name_category(col name, OUT category text, OUT keyword text)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT k.category, k.m[1]
	FROM (VALUES
		(1, 'email', 'email|e_mail|mail|mail_address|courriel|correo|correo_electronico'),
		(2, 'payment_card', 'card_number|card_no|card_num|cc_number|ccnum|credit_card|pan|numero_carte|carte_bancaire|kartennummer|kreditkarte|tarjeta|numero_tarjeta'),
		(3, 'iban', 'iban|bic|bank_account|account_number|rib|kontonummer|konto|cuenta|cuenta_bancaria'),
		(4, 'ip_address', 'ip|ip_address|ip_addr|ipaddr|last_ip|client_ip|remote_addr|adresse_ip|ip_adresse|direccion_ip'),
		(5, 'date_of_birth', 'date_of_birth|dob|birth_date|birthdate|birthday|born|date_naissance|date_de_naissance|naissance|geburtsdatum|geburtstag|fecha_nacimiento|fecha_de_nacimiento|nacimiento'),
		(6, 'national_id', 'ssn|social_security|national_id|nin|nino|passport|tax_id|tin|nir|insee|securite_sociale|numero_secu|steuer_id|steuernummer|personalausweis|ausweisnummer|sozialversicherungsnummer|dni|nie|nif|nuss'),
		(7, 'phone', 'phone|phone_number|telephone|tel|mobile|cell|fax|telefon|telefonnummer|handy|handynummer|telefono|movil|portable|numero_telephone'),
		(8, 'person_name', 'full_name|fullname|first_name|firstname|last_name|lastname|given_name|family_name|surname|middle_name|display_name|person_name|nom|prenom|nom_complet|nom_de_famille|vorname|nachname|familienname|nombre|apellido|apellidos|nombre_completo'),
		(9, 'postal_address', 'street|street_address|address|address_line1|address_line2|addr|city|town|zip|zip_code|postcode|postal_code|adresse|rue|ville|code_postal|strasse|straße|stadt|ort|plz|postleitzahl|anschrift|calle|direccion|dirección|ciudad|codigo_postal'),
		(10, 'health', 'health|medical|diagnosis|diagnose|condition_medical|allergy|allergies|blood_type|sante|santé|maladie|gesundheit|krankheit|salud|diagnostico|enfermedad'),
		(11, 'credentials', 'password|passwd|pwd|password_hash|secret|api_key|access_token|mot_de_passe|passwort|kennwort|contrasena|contraseña|clave'),
		(12, 'free_text', 'body|comment|comments|note|notes|message|description|remarks|free_text|commentaire|remarque|bemerkung|kommentar|nachricht|notiz|comentario|mensaje|nota|notas|observaciones')
	) AS v(i, category, words)
	CROSS JOIN LATERAL (SELECT pg_catalog.regexp_match(pg_catalog.lower(col::text),
	                         '(?:^|_)(' OPERATOR(pg_catalog.||) v.words OPERATOR(pg_catalog.||) ')(?:_|$)') AS m) k0
	CROSS JOIN LATERAL (SELECT v.category, k0.m) k
	WHERE k0.m IS NOT NULL
	ORDER BY v.i
	LIMIT 1
$$;
COMMENT ON FUNCTION privacy._name_category(name) IS
'discovery: the personal-data category a column name suggests (en, fr, de, es keywords) and the matching keyword';

-- privacy.discover(schema, sample_rows): candidate personal-data columns of
-- the ordinary tables of a schema (all user schemas when NULL), from column
-- names and a bounded sample of values checked by validators. Confidence
-- combines the name evidence (0.6; 0.3 when a qualifier follows the keyword,
-- as in email_template_id; 0.15 when the column's type or sampled values
-- contradict the category) and the value evidence (the share of sampled
-- non-null values passing the category's validator, times 0.9 for
-- checksummed or unambiguous validators and known first names, 0.5 for
-- shape-only ones, 0.4 for capitalised word pairs) as
-- 1 - (1 - name)(1 - values); a finding needs 0.5. Runs as the extension owner (so masking does
-- not hide the values from the validators) after the administrator check;
-- the findings are stored for privacy.coverage_gaps.
CREATE FUNCTION privacy.discover(schema name DEFAULT NULL, sample_rows integer DEFAULT 200,
	OUT table_name regclass, OUT column_name name, OUT category text, OUT confidence numeric, OUT evidence text,
	OUT classified_as text)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	col record;
	nc record;
	sample_sql text;
	n bigint; c_email bigint; c_card bigint; c_iban bigint; c_iban_shape bigint; c_phone bigint; c_ip bigint;
	c_dob bigint; c_nid bigint; c_person bigint; c_address bigint; c_prose bigint; c_digits bigint; c_numeric bigint;
	c_known bigint;
	name_conf numeric;
	name_note text;
	qualifier text;
	hits bigint;
	best_cat text;
	best_conf numeric;
	best_ev text;
	cand record;
BEGIN
	PERFORM privacy._check_policy_admin('discover personal data');
	IF sample_rows IS NULL OR sample_rows OPERATOR(pg_catalog.<) 1 OR sample_rows OPERATOR(pg_catalog.>) 100000 THEN
		RAISE EXCEPTION 'sample_rows must be between 1 and 100000' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF schema IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) schema) THEN
		RAISE EXCEPTION 'schema "%" does not exist', schema USING ERRCODE = 'invalid_schema_name';
	END IF;
	-- forget findings about tables that are gone
	DELETE FROM privacy._discovery d
	WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) d.relid::oid);
	FOR t IN
		SELECT c.oid::regclass AS relid, c.reltuples
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND (discover.schema IS NULL OR n.nspname OPERATOR(pg_catalog.=) discover.schema)
		  AND n.nspname OPERATOR(pg_catalog.<>) ALL (ARRAY['pg_catalog', 'information_schema', 'privacy', 'pg_toast'])
		  AND n.nspname !~~ 'pg\_temp\_%' AND n.nspname !~~ 'pg\_toast\_temp\_%'
		  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
		                  WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
		                    AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')
		ORDER BY n.nspname, c.relname
	LOOP
		DELETE FROM privacy._discovery d WHERE d.relid OPERATOR(pg_catalog.=) t.relid;
		-- a bounded sample: the first sample_rows rows of a small table, or a
		-- repeatable block sample of a large one
		sample_sql := pg_catalog.format('%s%s LIMIT %s', t.relid,
			CASE WHEN t.reltuples OPERATOR(pg_catalog.>) (10 OPERATOR(pg_catalog.*) sample_rows)
			     THEN pg_catalog.format(' TABLESAMPLE SYSTEM (%s) REPEATABLE (0)',
			              LEAST(100, pg_catalog.ceil(400.0 OPERATOR(pg_catalog.*) sample_rows OPERATOR(pg_catalog./) t.reltuples)))
			     ELSE '' END,
			sample_rows);
		FOR col IN
			SELECT a.attname, a.atttypid, pg_catalog.format_type(a.atttypid, NULL) AS typname
			FROM pg_catalog.pg_attribute a
			WHERE a.attrelid OPERATOR(pg_catalog.=) t.relid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
			ORDER BY a.attnum
		LOOP
			SELECT * INTO nc FROM privacy._name_category(col.attname);
			n := 0; c_email := 0; c_card := 0; c_iban := 0; c_iban_shape := 0; c_phone := 0; c_ip := 0;
			c_dob := 0; c_nid := 0; c_person := 0; c_address := 0; c_prose := 0; c_digits := 0; c_numeric := 0;
			c_known := 0;
			IF col.atttypid OPERATOR(pg_catalog.=) ANY (ARRAY['text', 'character varying', 'character', 'inet', 'cidr',
			       'date', 'timestamp without time zone', 'timestamp with time zone', 'privacy.card_token']::regtype[]::oid[])
			   OR pg_catalog.format_type(col.atttypid, NULL) OPERATOR(pg_catalog.=) 'citext' THEN
				EXECUTE pg_catalog.format($q$
					SELECT count(v) AS n,
						count(*) FILTER (WHERE v ~ '^[^@[:space:]]+@[^@[:space:]]+\.[A-Za-z]{2,}$') AS email,
						count(*) FILTER (WHERE privacy._luhn_ok(pg_catalog.translate(v, ' -', ''))) AS card,
						count(*) FILTER (WHERE privacy._iban_ok(v)) AS iban,
						count(*) FILTER (WHERE pg_catalog.upper(pg_catalog.replace(v, ' ', '')) ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$') AS iban_shape,
						count(*) FILTER (WHERE v ~ '^\+?[0-9][0-9 ().-]{5,18}[0-9]$'
						                 AND pg_catalog.length(pg_catalog.regexp_replace(v, '[^0-9]', '', 'g')) BETWEEN 7 AND 15
						                 AND NOT privacy._luhn_ok(pg_catalog.translate(v, ' -', ''))) AS phone,
						count(*) FILTER (WHERE v ~ '^([0-9]{1,3}\.){3}[0-9]{1,3}(/[0-9]{1,2})?$'
						                 OR (v ~ '^[0-9A-Fa-f:]+(/[0-9]{1,3})?$' AND v ~ ':.*:')) AS ip,
						count(*) FILTER (WHERE %2$s AND v::date BETWEEN '1900-01-01' AND (now() OPERATOR(pg_catalog.-) '16 years'::interval)::date) AS dob,
						count(*) FILTER (WHERE v ~ '^[0-9]{3}-[0-9]{2}-[0-9]{4}$' OR v ~ '^[12][0-9]{12}([0-9]{2})?$'
						                 OR v ~ '^[A-CEGHJ-PR-TW-Z]{2}[0-9]{6}[A-D]$' OR v ~ '^[0-9]{8}[A-Z]$'
						                 OR v ~ '^[XYZ][0-9]{7}[A-Z]$') AS national_id,
						count(*) FILTER (WHERE v ~ '^[[:upper:]][[:alpha:]''-]+( [[:upper:]][[:alpha:]''-]+)+$') AS person,
						count(*) FILTER (WHERE v ~ '^[0-9]+[A-Za-z]?,? [[:alpha:]]' OR v ~ '[[:alpha:]],? [0-9]+[A-Za-z]?$') AS address,
						count(*) FILTER (WHERE pg_catalog.length(v) OPERATOR(pg_catalog.>=) 30
						                 AND pg_catalog.array_length(pg_catalog.regexp_split_to_array(v, '\s+'), 1) OPERATOR(pg_catalog.>=) 5) AS prose,
						count(*) FILTER (WHERE pg_catalog.translate(v, ' -', '') ~ '^[0-9]{12,19}$') AS digits,
						count(*) FILTER (WHERE v ~ '^[+-]?[0-9]+([.,][0-9]+)?$') AS numeric,
						count(*) FILTER (WHERE privacy._known_name(v)) AS known_name
					FROM (SELECT %1$I::text AS v FROM %3$s) s WHERE v IS NOT NULL$q$,
					col.attname,
					CASE WHEN col.atttypid OPERATOR(pg_catalog.=) ANY (ARRAY['date', 'timestamp without time zone',
					          'timestamp with time zone']::regtype[]::oid[]) THEN 'true' ELSE 'false' END,
					sample_sql)
				INTO n, c_email, c_card, c_iban, c_iban_shape, c_phone, c_ip, c_dob, c_nid, c_person, c_address, c_prose,
					c_digits, c_numeric, c_known;
			END IF;

			-- How much the name alone says (0.6). It says less when the word
			-- after the keyword makes the column a property of the thing
			-- rather than the thing (email_template_id, phone_model: 0.3),
			-- and little when the column's type or its sampled values
			-- contradict the category (integers for an email, model names
			-- for a phone: 0.15). Either way values that validate still
			-- raise the confidence; alone such a name is below the 0.5 of a
			-- finding.
			name_conf := CASE WHEN nc.category IS NULL THEN 0 ELSE 0.6 END;
			name_note := NULL;
			IF nc.category IS NOT NULL THEN
				qualifier := (pg_catalog.regexp_match(pg_catalog.lower(col.attname::text),
					'(?:^|_)' OPERATOR(pg_catalog.||) nc.keyword OPERATOR(pg_catalog.||) '_([[:alnum:]]+)'))[1];
				IF qualifier OPERATOR(pg_catalog.=) ANY (ARRAY['id', 'ids', 'type', 'types', 'model', 'models', 'template',
				       'templates', 'count', 'counts', 'status', 'flag', 'enabled', 'verified', 'format', 'kind',
				       'provider', 'optin', 'opt', 'sent', 'bounced', 'version', 'length', 'len', 'policy', 'config',
				       'setting', 'settings', 'category', 'level', 'source', 'channel', 'code', 'tipo', 'modelo',
				       'modele', 'typ', 'modell', 'anzahl', 'nombre']) THEN
					name_conf := 0.3;
					name_note := pg_catalog.format('"%s" after it makes it a property, not the value itself', qualifier);
				END IF;
				hits := CASE nc.category
					WHEN 'email' THEN c_email WHEN 'ip_address' THEN c_ip WHEN 'iban' THEN c_iban_shape
					WHEN 'payment_card' THEN c_digits WHEN 'phone' THEN c_phone END;
				IF col.typname IN ('boolean')
				   OR (col.typname IN ('smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision')
				       AND nc.category OPERATOR(pg_catalog.<>) ALL (ARRAY['payment_card', 'phone', 'national_id', 'date_of_birth'])) THEN
					name_conf := 0.15;
					name_note := pg_catalog.format('but its type %s cannot hold it', col.typname);
				ELSIF n OPERATOR(pg_catalog.>=) 5 AND hits IS NOT NULL
				      AND hits::numeric OPERATOR(pg_catalog./) n OPERATOR(pg_catalog.<) 0.1 THEN
					name_conf := 0.15;
					name_note := pg_catalog.format('but %s/%s sampled values fit the category', hits, n);
				ELSIF n OPERATOR(pg_catalog.>=) 5 AND nc.category IN ('person_name', 'postal_address', 'email', 'free_text')
				      AND c_numeric::numeric OPERATOR(pg_catalog./) n OPERATOR(pg_catalog.>=) 0.9 THEN
					name_conf := 0.15;
					name_note := pg_catalog.format('but %s/%s sampled values are numbers', c_numeric, n);
				END IF;
			END IF;

			best_cat := NULL; best_conf := 0; best_ev := NULL;
			FOR cand IN
				WITH v(category, hits, weight, what) AS (VALUES
					('email', c_email, 0.9, 'are email addresses'),
					('payment_card', c_card, 0.9, 'are Luhn-valid card numbers'),
					('iban', c_iban, 0.9, 'are IBANs with a valid mod-97 checksum'),
					('iban', c_iban_shape, 0.5, 'have the shape of an IBAN'),
					('phone', c_phone, 0.5, 'have the shape of a phone number'),
					('ip_address', c_ip, 0.9, 'are IP addresses'),
					('date_of_birth', c_dob, 0.5, 'are plausible dates of birth'),
					('national_id', c_nid, 0.5, 'have the shape of a national id'),
					-- capitalised word pairs are as often products or places as people:
					-- alone they never make a finding (0.4), with the name they confirm it
					('person_name', c_person, 0.4, 'look like personal names'),
					('person_name', c_known, 0.9, 'start with or are known names'),
					('postal_address', c_address, 0.5, 'look like street addresses'),
					('free_text', c_prose, 0.5, 'are free text of five words or more')),
				scored(category, value_conf, value_ev) AS (
					SELECT v.category, v.weight OPERATOR(pg_catalog.*) v.hits OPERATOR(pg_catalog./) n,
						pg_catalog.format('%s/%s sampled values %s', v.hits, n, v.what)
					FROM v WHERE n OPERATOR(pg_catalog.>) 0
					  AND v.hits::numeric OPERATOR(pg_catalog./) n OPERATOR(pg_catalog.>=) 0.3
					UNION ALL
					SELECT 'ip_address', 0.9, 'column type is ' OPERATOR(pg_catalog.||) col.typname
					WHERE col.typname IN ('inet', 'cidr')
					UNION ALL
					SELECT 'payment_card', 0.9, 'column type is privacy.card_token (tokenized)'
					WHERE col.typname OPERATOR(pg_catalog.=) 'privacy.card_token'),
				best AS (
					SELECT DISTINCT ON (s.category) s.category, s.value_conf, s.value_ev
					FROM scored s ORDER BY s.category, s.value_conf DESC, s.value_ev),
				cats AS (
					SELECT b.category FROM best b
					UNION
					SELECT nc.category WHERE nc.category IS NOT NULL),
				combined AS (
					SELECT k.category,
						CASE WHEN k.category OPERATOR(pg_catalog.=) nc.category THEN name_conf ELSE 0 END AS name_conf,
						coalesce(b.value_conf, 0) AS value_conf, b.value_ev
					FROM cats k LEFT JOIN best b ON b.category OPERATOR(pg_catalog.=) k.category)
				SELECT m.category,
					pg_catalog.round(1 OPERATOR(pg_catalog.-) ((1 OPERATOR(pg_catalog.-) m.name_conf) OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog.-) m.value_conf)), 2) AS conf,
					pg_catalog.concat_ws('; ',
						CASE WHEN m.name_conf OPERATOR(pg_catalog.>) 0
						     THEN pg_catalog.format('column name matches keyword "%s"', nc.keyword)
						          OPERATOR(pg_catalog.||) coalesce(' (' OPERATOR(pg_catalog.||) name_note OPERATOR(pg_catalog.||) ')', '') END,
						m.value_ev) AS ev
				FROM combined m
				ORDER BY 2 DESC, 1
			LOOP
				IF best_cat IS NULL THEN
					best_cat := cand.category; best_conf := cand.conf; best_ev := cand.ev;
				END IF;
			END LOOP;

			CONTINUE WHEN best_cat IS NULL OR best_conf OPERATOR(pg_catalog.<) 0.5;
			table_name := t.relid;
			column_name := col.attname;
			category := best_cat;
			confidence := best_conf;
			evidence := best_ev;
			classified_as := (SELECT c.category FROM privacy._classification c
			                  WHERE c.relid OPERATOR(pg_catalog.=) t.relid AND c.column_name OPERATOR(pg_catalog.=) col.attname);
			INSERT INTO privacy._discovery AS d (relid, column_name, category, confidence, evidence, found_by, found_at)
			VALUES (t.relid, col.attname, best_cat, best_conf, best_ev, privacy._outer_user(), now())
			ON CONFLICT ON CONSTRAINT _discovery_pkey DO UPDATE
				SET category = excluded.category, confidence = excluded.confidence, evidence = excluded.evidence,
				    found_by = excluded.found_by, found_at = excluded.found_at;
			RETURN NEXT;
		END LOOP;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy.discover(name, integer) IS
'candidate personal-data columns from column names (en, fr, de, es) and a bounded sample checked by validators; never returns sampled values';

-- Data subjects ------------------------------------------------------------

CREATE FUNCTION privacy.register_subject(tbl regclass, subject_column name, via regclass DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	attnum smallint;
	ref_column name;
	n integer;
BEGIN
	PERFORM privacy._check_policy_admin('register data subjects', tbl);
	IF tbl IS NULL OR subject_column IS NULL THEN
		RAISE EXCEPTION 'table and subject column must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- erasure deletes as the table's owner: never a system catalog or
	-- pg_privacy's own tables (their owner is the bootstrap superuser)
	IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) NOT IN ('r', 'p')
	   OR tbl::oid OPERATOR(pg_catalog.<) 16384
	   OR (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl)
	      OPERATOR(pg_catalog.=) ANY (ARRAY['privacy'::regnamespace, 'pg_catalog'::regnamespace,
	                                        'information_schema'::regnamespace]) THEN
		RAISE EXCEPTION 'cannot register % as a subject table', tbl USING ERRCODE = 'wrong_object_type',
			DETAIL = 'Only tables and partitioned tables outside the system and pg_privacy schemas can hold subject data.';
	END IF;
	SELECT a.attnum INTO attnum FROM pg_catalog.pg_attribute a
	WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) subject_column
	  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
	IF attnum IS NULL THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', subject_column, tbl USING ERRCODE = 'undefined_column';
	END IF;
	-- exports and erasures compare and cast subject columns with the rights
	-- of pg_privacy: only built-in types, whose casts and operators no role
	-- can redefine (a type's owner could attach a cast that runs its code)
	IF (SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) tbl
	    AND a.attnum OPERATOR(pg_catalog.=) attnum) OPERATOR(pg_catalog.>=) 16384 THEN
		RAISE EXCEPTION 'subject column "%" of % does not have a built-in type', subject_column, tbl
			USING ERRCODE = 'feature_not_supported',
			      HINT = 'Register a column of a built-in type (text, integer, uuid, ...) that identifies the subject.';
	END IF;
	IF via IS NOT NULL THEN
		IF NOT EXISTS (SELECT 1 FROM privacy._subject_table s WHERE s.relid OPERATOR(pg_catalog.=) via) THEN
			RAISE EXCEPTION 'table % is not registered as a subject table', via
				USING ERRCODE = 'object_not_in_prerequisite_state',
				      HINT = 'Register the referenced table first with privacy.register_subject().';
		END IF;
		-- the referenced table's own path must not lead back to tbl
		IF EXISTS (WITH RECURSIVE chain(relid) AS (
		               SELECT via::oid
		               UNION
		               SELECT s.via::oid FROM privacy._subject_table s JOIN chain ON s.relid::oid OPERATOR(pg_catalog.=) chain.relid
		               WHERE s.via IS NOT NULL)
		           SELECT 1 FROM chain WHERE chain.relid OPERATOR(pg_catalog.=) tbl::oid) THEN
			RAISE EXCEPTION 'registering % via % would make a cycle', tbl, via USING ERRCODE = 'invalid_parameter_value';
		END IF;
		-- resolve the single-column foreign key subject_column -> via
		SELECT count(*), pg_catalog.min(ra.attname) INTO n, ref_column
		FROM pg_catalog.pg_constraint k
		JOIN pg_catalog.pg_attribute ra ON ra.attrelid OPERATOR(pg_catalog.=) k.confrelid
		                               AND ra.attnum OPERATOR(pg_catalog.=) k.confkey[1]
		WHERE k.contype OPERATOR(pg_catalog.=) 'f' AND k.conrelid OPERATOR(pg_catalog.=) tbl
		  AND k.confrelid OPERATOR(pg_catalog.=) via AND k.conkey OPERATOR(pg_catalog.=) ARRAY[attnum];
		IF n OPERATOR(pg_catalog.=) 0 THEN
			RAISE EXCEPTION 'no foreign key from column "%" of % to %', subject_column, tbl, via
				USING ERRCODE = 'undefined_object',
				      HINT = 'A subject table registered via another table needs a single-column foreign key to it.';
		ELSIF n OPERATOR(pg_catalog.>) 1 AND ref_column IS DISTINCT FROM (
			SELECT pg_catalog.max(ra.attname) FROM pg_catalog.pg_constraint k
			JOIN pg_catalog.pg_attribute ra ON ra.attrelid OPERATOR(pg_catalog.=) k.confrelid
			                               AND ra.attnum OPERATOR(pg_catalog.=) k.confkey[1]
			WHERE k.contype OPERATOR(pg_catalog.=) 'f' AND k.conrelid OPERATOR(pg_catalog.=) tbl
			  AND k.confrelid OPERATOR(pg_catalog.=) via AND k.conkey OPERATOR(pg_catalog.=) ARRAY[attnum]) THEN
			RAISE EXCEPTION 'column "%" of % has several foreign keys to %', subject_column, tbl, via
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
	END IF;
	INSERT INTO privacy._subject_table AS s (relid, subject_column, via, via_column, declared_by, declared_at)
	VALUES (tbl, register_subject.subject_column, register_subject.via, ref_column, privacy._outer_user(), now())
	ON CONFLICT ON CONSTRAINT _subject_table_pkey DO UPDATE
		SET subject_column = excluded.subject_column, via = excluded.via, via_column = excluded.via_column,
		    declared_by = excluded.declared_by, declared_at = excluded.declared_at;
END
$$;
COMMENT ON FUNCTION privacy.register_subject(regclass, name, regclass) IS
'declares which column of a table identifies the data subject: directly, or via a foreign key to a registered table';

CREATE FUNCTION privacy.unregister_subject(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('register data subjects', tbl);
	IF EXISTS (SELECT 1 FROM privacy._subject_table s WHERE s.via OPERATOR(pg_catalog.=) tbl) THEN
		RAISE EXCEPTION 'other subject tables are registered via %', tbl USING ERRCODE = 'dependent_objects_still_exist',
			HINT = 'Unregister them first.';
	END IF;
	DELETE FROM privacy._subject_table s WHERE s.relid OPERATOR(pg_catalog.=) tbl;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % is not registered as a subject table', tbl USING ERRCODE = 'undefined_object';
	END IF;
END
$$;
COMMENT ON FUNCTION privacy.unregister_subject(regclass) IS 'removes a table from the subject registry';

CREATE VIEW privacy.subject_tables AS
SELECT s.relid AS table_name, s.subject_column, s.via, s.via_column, s.declared_by, s.declared_at
FROM privacy._subject_table s;
COMMENT ON VIEW privacy.subject_tables IS 'tables registered as holding data about subjects, and how the subject is found';

-- privacy._subject_tables(): registered tables with their depth (hops to a
-- table that identifies the subject directly) and the SQL condition selecting
-- a subject's rows ($1 is the subject, compared as text). Only tables: a
-- registered table its owner turned into a view (CREATE RULE "_RETURN"), and
-- the tables registered through it, are left out (exports and erasures
-- report them as errors; nothing reads the view).
CREATE FUNCTION privacy._subject_tables(OUT relid regclass, OUT depth integer, OUT predicate text)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE p(relid, depth, predicate) AS (
		SELECT s.relid, 0,
			pg_catalog.format('%I::text OPERATOR(pg_catalog.=) $1', s.subject_column)
		FROM privacy._subject_table s
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.relid::oid AND c.relkind IN ('r', 'p')
		WHERE s.via IS NULL
		UNION ALL
		SELECT s.relid, p.depth OPERATOR(pg_catalog.+) 1,
			pg_catalog.format('%I OPERATOR(pg_catalog.=) ANY (SELECT %I FROM %s WHERE %s)',
			                  s.subject_column, s.via_column, s.via, p.predicate)
		FROM privacy._subject_table s JOIN p ON s.via OPERATOR(pg_catalog.=) p.relid
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.relid::oid AND c.relkind IN ('r', 'p')
	)
	SELECT p.relid, p.depth, p.predicate FROM p
$$;
COMMENT ON FUNCTION privacy._subject_tables() IS
'registered subject tables with their FK depth and the condition selecting a subject''s rows ($1)';

-- privacy._may_detokenize(format): whether the session's role may detokenize
-- a format (superuser, or a grant held through has_privs_of_role).
CREATE FUNCTION privacy._may_detokenize(format text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r
	                 WHERE r.rolname OPERATOR(pg_catalog.=) privacy._outer_user()), false)
	    OR EXISTS (SELECT 1 FROM privacy._detokenize_grant g
	               WHERE g.format OPERATOR(pg_catalog.=) _may_detokenize.format
	                 AND pg_catalog.pg_has_role(privacy._outer_user(), g.role, 'USAGE'))
$$;
COMMENT ON FUNCTION privacy._may_detokenize(text) IS
'whether the session''s own role may detokenize the format (reveals only the caller''s own rights)';

-- privacy._check_subject_tables(): exports and erasures read, compare and
-- cast the subject and link columns of every registered table with the
-- rights of pg_privacy (and delete as each table's owner): refuses (0A000)
-- when a registered table is a system or pg_privacy table, or a subject or
-- link column has a type that is not built-in (its owner could attach a
-- cast or operator that runs its own code), e.g. after ALTER COLUMN TYPE.
CREATE FUNCTION privacy._check_subject_tables()
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	bad record;
BEGIN
	SELECT s.relid, a.attname INTO bad
	FROM privacy._subject_table s
	JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.relid::oid
	LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) s.relid::oid
	      AND a.attname OPERATOR(pg_catalog.=) ANY (ARRAY[s.subject_column])
	WHERE c.oid OPERATOR(pg_catalog.<) 16384
	   OR c.relnamespace OPERATOR(pg_catalog.=) ANY (ARRAY['privacy'::regnamespace, 'pg_catalog'::regnamespace,
	                                                 'information_schema'::regnamespace])
	   OR a.atttypid OPERATOR(pg_catalog.>=) 16384
	   OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute v
	              WHERE v.attrelid OPERATOR(pg_catalog.=) s.via::oid AND v.attname OPERATOR(pg_catalog.=) s.via_column
	                AND v.atttypid OPERATOR(pg_catalog.>=) 16384)
	LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'subject table % cannot be searched', bad.relid
			USING ERRCODE = 'feature_not_supported',
			      DETAIL = 'It is a system or pg_privacy table, or its subject or link column does not have a built-in type.',
			      HINT = 'Unregister it with privacy.unregister_subject(), or give the column a built-in type.';
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._check_subject_tables() IS
'refuses exports and erasures when a registered table is a system or pg_privacy table or its subject or link column has a type that is not built-in';

-- privacy._subject_export_plan(subject): for every registered table (parents
-- first), the row ids of the subject's rows as (tableoids[i], ids[i]) pairs
-- (a row id is unique only within one partition or inheritance child),
-- found as the extension owner (raw values, no row filters), and the columns
-- holding tokens with their format; ids and tableoids are NULL for a
-- registered table that is no longer a table (converted to a view) or is
-- registered through one. export_subject then reads those rows as its caller.
-- Administrators only.
CREATE FUNCTION privacy._subject_export_plan(subject text, OUT relid regclass, OUT ids tid[], OUT token_columns jsonb,
                                             OUT tableoids oid[])
RETURNS SETOF record
LANGUAGE plpgsql STABLE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
BEGIN
	PERFORM privacy._check_policy_admin('export data subjects');
	PERFORM privacy._check_subject_tables();
	FOR t IN SELECT s.relid, s.predicate FROM privacy._subject_tables() s ORDER BY s.depth, s.relid::text LOOP
		relid := t.relid;
		-- (a Citus table's rows are read by subject column instead: its
		-- row ids and tableoids are its shards')
		IF privacy._citus_table(t.relid) THEN
			EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(ctid) FROM %s WHERE %s', t.relid, t.predicate)
				INTO ids USING subject;
			tableoids := NULL;
		ELSE
			EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(ctid), pg_catalog.array_agg(tableoid) FROM %s WHERE %s',
			                          t.relid, t.predicate)
				INTO ids, tableoids USING subject;
		END IF;
		ids := coalesce(ids, '{}');
		tableoids := coalesce(tableoids, '{}');
		SELECT coalesce(pg_catalog.jsonb_object_agg(a.attname, f.fmt), '{}') INTO token_columns
		FROM pg_catalog.pg_attribute a
		LEFT JOIN privacy._classification c
		  ON c.relid OPERATOR(pg_catalog.=) t.relid AND c.column_name OPERATOR(pg_catalog.=) a.attname
		CROSS JOIN LATERAL (SELECT coalesce(c.token_format,
		                        CASE WHEN a.atttypid OPERATOR(pg_catalog.=) 'privacy.card_token'::pg_catalog.regtype THEN 'card' END) AS fmt) f
		WHERE a.attrelid OPERATOR(pg_catalog.=) t.relid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
		  AND f.fmt IS NOT NULL;
		RETURN NEXT;
	END LOOP;
	-- registered tables that are not searched (no longer tables)
	FOR t IN SELECT s.relid FROM privacy._subject_table s
	         WHERE s.relid OPERATOR(pg_catalog.<>) ALL (ARRAY(SELECT x.relid FROM privacy._subject_tables() x))
	         ORDER BY s.relid::text LOOP
		relid := t.relid;
		ids := NULL;
		tableoids := NULL;
		token_columns := '{}';
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy._subject_export_plan(text) IS
'row ids of a subject''s rows and token columns of every registered table (administrators only; used by export_subject)';

-- privacy._export_rows(tbl, ids, subject, token_columns, token_formats): one
-- table's part of export_subject. Reads the subject's rows as the table's
-- owner (restricted: the owner's code runs with the owner's rights, never
-- the caller's), every row whatever row policies say, masked for the caller;
-- {"error": "permission denied"} when the caller may not read the table,
-- refused (42501) when the owner's own row-security policies apply to the
-- caller; token columns are then detokenized as the caller (each
-- detokenization audited as usual). Records the disclosure durably (action 'export subject',
-- object 'subject <pseudonym> in <table>', value_count = rows) before
-- returning, even if the caller's transaction later aborts. Administrators
-- only.
CREATE FUNCTION privacy._export_rows(tbl regclass, ids tid[], subject text, token_columns text[], token_formats text[])
RETURNS jsonb
AS 'MODULE_PATHNAME', 'pg_privacy__export_rows'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._export_rows(regclass, tid[], text, text[], text[]) IS
'rows of one registered table for export_subject, read as the table owner and masked for the caller, every row; audited durably (administrators only)';

-- privacy.export_subject(subject): everything the registered tables hold
-- about a subject, as {"schema.table": [rows...]}: one key per registered
-- table searched, [] when the subject has no row there. Rows are located by
-- a definer helper (administrators only, every row whatever row policies
-- say), then read through privacy._export_rows as the table's owner:
-- masking applies to the caller, pg_privacy's row policies do not; token
-- columns are detokenized only when the caller may detokenize their format;
-- a table the caller cannot read is reported as {"error": "permission
-- denied"}. If other row-security policies (the owner's own) apply to the
-- caller, the export is refused (42501): never a silently partial result. Each table read is recorded in privacy.audit_log
-- durably, even if the transaction aborts. Rows are matched by partition or
-- child and row id: a partitioned or inherited table's export has exactly
-- the subject's rows, and reading more rows than were located refuses
-- (40001). A registered table turned into a view is reported as
-- {"error": "not a table"}. A superuser's table with a column whose type
-- (or an element, base, field or range type of it) belongs to another role
-- is refused (42501): its casts would run with the caller's rights.
CREATE FUNCTION privacy.export_subject(subject text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	result jsonb := '{}';
	rows jsonb;
	cols text[];
	fmts text[];
BEGIN
	PERFORM privacy._check_policy_admin('export data subjects');
	IF subject IS NULL THEN
		RAISE EXCEPTION 'subject must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	FOR t IN SELECT p.relid, p.ids, p.token_columns FROM privacy._subject_export_plan(subject) p LOOP
		SELECT coalesce(pg_catalog.array_agg(k.key ORDER BY k.key), '{}'), coalesce(pg_catalog.array_agg(k.value ORDER BY k.key), '{}')
		INTO cols, fmts
		FROM pg_catalog.jsonb_each_text(t.token_columns) k WHERE privacy._may_detokenize(k.value);
		-- {"error": "permission denied"} for a table the caller cannot read
		-- {"error": "not a table"} for a registered table turned into a view
		IF t.ids IS NULL THEN
			result := result OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t.relid::text,
				pg_catalog.jsonb_build_object('error', 'not a table'));
			CONTINUE;
		END IF;
		rows := privacy._export_rows(t.relid, t.ids, subject, cols, fmts);
		-- more rows than located: never hand over rows that are not the subject's
		IF pg_catalog.jsonb_typeof(rows) OPERATOR(pg_catalog.=) 'array'
		   AND pg_catalog.jsonb_array_length(rows) OPERATOR(pg_catalog.>) pg_catalog.cardinality(t.ids) THEN
			RAISE EXCEPTION 'export of the subject refused: % read more rows than were located',
				t.relid
				USING ERRCODE = '40001',
				      DETAIL = 'The table changed while the subject was exported.',
				      HINT = 'Run the export again.';
		END IF;
		IF pg_catalog.jsonb_typeof(rows) OPERATOR(pg_catalog.=) 'array'
		   AND pg_catalog.jsonb_array_length(rows) OPERATOR(pg_catalog.<) pg_catalog.cardinality(t.ids) THEN
			RAISE EXCEPTION 'export of the subject refused: % of its rows in % are hidden from you',
				pg_catalog.cardinality(t.ids) OPERATOR(pg_catalog.-) pg_catalog.jsonb_array_length(rows), t.relid
				USING ERRCODE = 'insufficient_privilege',
				      DETAIL = 'Row-security policies that pg_privacy does not manage filter the table for your role; the export would be incomplete.',
				      HINT = 'Run the export as a role those policies do not filter (the table owner without FORCE ROW LEVEL SECURITY, or a BYPASSRLS role that is a privacy administrator).';
		END IF;
		result := result OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t.relid::text, rows);
	END LOOP;
	RETURN result;
END
$$;
COMMENT ON FUNCTION privacy.export_subject(text) IS
'everything registered tables hold about a subject, one key per table searched; every row whatever row policies say, masked for the caller, detokenized only where allowed; audited durably';

-- privacy._erasure_condition(tbl): the condition selecting a subject's rows
-- of one registered table, reading only that table: $1 is the subject
-- (compared as text); for a table registered via a parent, $2 holds, per
-- parent and referenced column, the values of the parent's subject rows.
CREATE FUNCTION privacy._erasure_condition(tbl regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN s.via IS NULL
		THEN pg_catalog.format('%I::text OPERATOR(pg_catalog.=) $1', s.subject_column)
		ELSE pg_catalog.format('%I OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT pg_catalog.jsonb_array_elements_text($2 OPERATOR(pg_catalog.->) %L))::%s[])',
		                       s.subject_column, s.via::oid::text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) s.via_column,
		                       pg_catalog.format_type(a.atttypid, a.atttypmod)) END
	FROM privacy._subject_table s
	JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) s.relid AND a.attname OPERATOR(pg_catalog.=) s.subject_column
	WHERE s.relid OPERATOR(pg_catalog.=) tbl
$$;
COMMENT ON FUNCTION privacy._erasure_condition(regclass) IS
'condition selecting a subject''s rows of one registered table ($1 subject, $2 values of the parent''s subject rows)';

-- privacy.erase_subject(subject, mode): deletes ('delete') or anonymizes
-- with the table's masks ('anonymize') the subject's rows in every
-- registered table, children before parents, in the caller's transaction.
-- Rows matching an active legal hold are kept and reported with the hold's
-- id and reason; parent rows still referenced by held child rows are kept
-- too. Revokes the subject's standing consents and logs the erasure in
-- privacy.audit_log under a pseudonym of the subject. A registered table
-- turned into a view (and the tables registered through it) is left
-- untouched and reported as {"table": ..., "error": "not a table"}.
--
-- Every statement on a registered table runs as that table's owner,
-- restricted (privacy._exec_as_owner / _value_as_owner), and reads only that
-- table: the values linking a table to its registered parent ($2, per
-- parent and column) and the values still referenced by kept child rows
-- ($3, per child) are computed first, each as the owner of the table they
-- come from, and passed as parameters. This function itself (SECURITY
-- DEFINER) only reads pg_privacy's catalog and writes its audit.
CREATE FUNCTION privacy.erase_subject(subject text, mode text DEFAULT 'delete')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	h record;
	vc record;
	pred text;
	keep text;
	set_list text;
	affected bigint;
	held bigint;
	holds jsonb;
	tables jsonb := '[]';
	purpose text;
	revoked integer := 0;
	report jsonb;
	links jsonb := '{}';
	refs jsonb := '{}';
BEGIN
	PERFORM privacy._check_policy_admin('erase data subjects');
	PERFORM privacy._check_subject_tables();
	IF subject IS NULL OR mode IS NULL THEN
		RAISE EXCEPTION 'subject and mode must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF mode OPERATOR(pg_catalog.<>) ALL (ARRAY['delete', 'anonymize']) THEN
		RAISE EXCEPTION 'unknown erasure mode "%"', mode USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Use delete or anonymize.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM privacy._subject_table) THEN
		RAISE EXCEPTION 'no subject table is registered' USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = 'Register tables with privacy.register_subject().';
	END IF;

	-- parents first: the subject's rows of each table, and the values of its
	-- columns that registered children reference
	FOR t IN SELECT s.relid, s.depth, privacy._erasure_condition(s.relid) AS pred
	         FROM privacy._subject_tables() s ORDER BY s.depth, s.relid::text LOOP
		FOR vc IN SELECT DISTINCT x.via_column FROM privacy._subject_table x
		         WHERE x.via OPERATOR(pg_catalog.=) t.relid ORDER BY 1 LOOP
			links := links OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
				t.relid::oid::text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) vc.via_column,
				coalesce(privacy._value_as_owner(t.relid, pg_catalog.format(
					'SELECT pg_catalog.to_jsonb(pg_catalog.array_agg(DISTINCT %I::text)) FROM %s WHERE %s',
					vc.via_column, t.relid, t.pred), subject, links, refs)::jsonb, '[]'::jsonb));
		END LOOP;
	END LOOP;

	FOR t IN SELECT s.relid, s.depth, privacy._erasure_condition(s.relid) AS pred
	         FROM privacy._subject_tables() s ORDER BY s.depth DESC, s.relid::text LOOP
		pred := t.pred;
		-- held rows: active holds of the table, and (when deleting) rows still
		-- referenced by kept rows of registered children
		holds := '[]';
		held := 0;
		-- (holds placed on any member of the table's family, issue 15)
		FOR h IN SELECT lh.id, lh.reason, privacy._current_expression(lh.condition_function, lh.condition) AS condition
		         FROM privacy._legal_hold lh
		         WHERE lh.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._holds_applying(t.relid)))
		         ORDER BY lh.id LOOP
			affected := privacy._value_as_owner(t.relid, pg_catalog.format('SELECT count(*) FROM %s WHERE (%s) AND (%s)',
				t.relid, pred, privacy._analyze_hold_condition(t.relid, h.condition)), subject, links, refs)::bigint;
			IF affected OPERATOR(pg_catalog.>) 0 THEN
				holds := holds OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('hold_id', h.id, 'reason', h.reason, 'rows', affected);
			END IF;
		END LOOP;
		SELECT pg_catalog.concat_ws(' AND ', NULLIF(privacy._hold_predicate(t.relid), 'true'),
			pg_catalog.string_agg(pg_catalog.format('NOT (%I OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT pg_catalog.jsonb_array_elements_text($3 OPERATOR(pg_catalog.->) %L))::%s[]))',
			                                        ch.via_column, ch.relid::oid::text,
			                                        (SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
			                                         WHERE a.attrelid OPERATOR(pg_catalog.=) t.relid AND a.attname OPERATOR(pg_catalog.=) ch.via_column)),
			                      ' AND ' ORDER BY ch.relid::text))
		INTO keep
		FROM privacy._subject_table ch
		WHERE ch.via OPERATOR(pg_catalog.=) t.relid AND mode OPERATOR(pg_catalog.=) 'delete';
		IF keep OPERATOR(pg_catalog.<>) '' THEN
			held := privacy._value_as_owner(t.relid, pg_catalog.format('SELECT count(*) FROM %s WHERE (%s) AND NOT (%s)', t.relid, pred, keep),
				subject, links, refs)::bigint;
			IF held OPERATOR(pg_catalog.>) (SELECT coalesce(sum((x OPERATOR(pg_catalog.->>) 'rows')::bigint), 0)
			                                 FROM pg_catalog.jsonb_array_elements(holds) x) THEN
				holds := holds OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('reason', 'referenced by held rows of a child table',
					'rows', held OPERATOR(pg_catalog.-) (SELECT coalesce(sum((x OPERATOR(pg_catalog.->>) 'rows')::bigint), 0)
					                                     FROM pg_catalog.jsonb_array_elements(holds) x));
			END IF;
			pred := '(' OPERATOR(pg_catalog.||) pred OPERATOR(pg_catalog.||) ') AND ' OPERATOR(pg_catalog.||) keep;
		END IF;
		IF mode OPERATOR(pg_catalog.=) 'delete' THEN
			affected := privacy._exec_as_owner(t.relid, pg_catalog.format('DELETE FROM %s WHERE %s', t.relid, pred),
				subject, links, refs);
			tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'deleted', affected,
				'held_back', held, 'holds', holds);
		ELSE
			SELECT pg_catalog.string_agg(pg_catalog.format('%I = (%s)', m.column_name, privacy._analyze_mask(t.relid, m.column_name, privacy._current_expression(m.mask_function, m.mask), true)),
			                             ', ' ORDER BY m.column_name)
			INTO set_list FROM privacy._column_policy m
			WHERE m.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(t.relid));
			IF set_list IS NULL THEN
				tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'anonymized', 0,
					'held_back', held, 'holds', holds, 'note', 'no masking policy: rows kept unchanged');
			ELSE
				-- the masks are canonical for the pinned search_path and read
				-- raw values: the UPDATE is planned unmasked, and runs (with
				-- everything it fires) as the table's owner
				affected := privacy._exec_as_owner(t.relid, pg_catalog.format('UPDATE %s SET %s WHERE %s', t.relid, set_list, pred),
					subject, links, refs);
				tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'anonymized', affected,
					'held_back', held, 'holds', holds);
			END IF;
		END IF;
		-- the values of this table's subject rows that are still there keep
		-- the parent rows they reference
		IF mode OPERATOR(pg_catalog.=) 'delete' AND t.depth OPERATOR(pg_catalog.>) 0 THEN
			refs := refs OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t.relid::oid::text,
				coalesce(privacy._value_as_owner(t.relid, pg_catalog.format(
					'SELECT pg_catalog.to_jsonb(pg_catalog.array_agg(DISTINCT %I::text)) FROM %s WHERE %s',
					(SELECT x.subject_column FROM privacy._subject_table x WHERE x.relid OPERATOR(pg_catalog.=) t.relid),
					t.relid, t.pred), subject, links, refs)::jsonb, '[]'::jsonb));
		END IF;
	END LOOP;

	-- registered tables that are no longer tables (a view now) are not
	-- touched, and reported
	FOR t IN SELECT s.relid FROM privacy._subject_table s
	         WHERE s.relid OPERATOR(pg_catalog.<>) ALL (ARRAY(SELECT x.relid FROM privacy._subject_tables() x))
	         ORDER BY s.relid::text LOOP
		tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'error', 'not a table');
	END LOOP;

	-- the subject's standing consents: one descent of the standing index
	-- (purpose, subject) per declared purpose (every consent's purpose is
	-- one: the foreign key), instead of reading the whole registry (issue 19)
	FOR purpose IN SELECT p.name FROM privacy._purpose p
	               WHERE EXISTS (SELECT FROM privacy._consent c
	                             WHERE c.purpose COLLATE "C" OPERATOR(pg_catalog.=) p.name
	                               AND c.subject COLLATE "C" OPERATOR(pg_catalog.=) erase_subject.subject
	                               AND c.revoked_at IS NULL)
	               ORDER BY 1 LOOP
		IF privacy.revoke_consent(erase_subject.subject, purpose) THEN
			revoked := revoked OPERATOR(pg_catalog.+) 1;
		END IF;
	END LOOP;

	report := pg_catalog.jsonb_build_object('mode', mode, 'tables', tables, 'consents_revoked', revoked);
	INSERT INTO privacy.audit_log (logged_at, role_name, session_role, action, object, new_definition)
	VALUES (now(), privacy._outer_user(), session_user, 'erase subject',
	        'subject ' OPERATOR(pg_catalog.||) privacy.pseudonym(subject, 'erasure'), report::text);
	RETURN report;
END
$$;
COMMENT ON FUNCTION privacy.erase_subject(text, text) IS
'deletes or anonymizes a subject''s rows in every registered table (children first), keeping rows under legal holds; revokes consents; audited under a pseudonym';

REVOKE ALL ON privacy.subject_tables FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy._luhn_ok(text), privacy._iban_ok(text),
	privacy._name_category(name), privacy._subject_tables(), privacy._known_name(text), privacy._check_subject_tables(),
	privacy._erasure_condition(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION privacy.classify(regclass, name, text, text), privacy.unclassify(regclass, name),
	privacy.discover(name, integer), privacy.register_subject(regclass, name, regclass),
	privacy.unregister_subject(regclass), privacy.export_subject(text), privacy.erase_subject(text, text),
	privacy._may_detokenize(text), privacy._subject_export_plan(text),
	privacy._export_rows(regclass, tid[], text, text[], text[])
TO PUBLIC;
