-- masking_functions: the pure masks (partial, mask_email, mask_phone,
-- mask_card, mask_iban, mask_ip, generalize) give the documented output for
-- typical, NULL, empty, one-character, multibyte, 1 MB and malformed values;
-- malformed values are redacted, never an error; argument errors raise 22023
-- without echoing the value; the same input always gives the same output.
\set VERBOSITY terse

-- partial: at most a third of the code points is revealed, prefix first.
SELECT privacy.partial('Alice', 1, '***', 1) AS alice,
	privacy.partial('4111111111111234', 0, 'XXXX', 4) AS card,
	privacy.partial('abcdefghi', 2, '..', 2) AS nine,
	privacy.partial('ab', 1, '*', 1) AS two_reveal_nothing,
	privacy.partial('', 1, '*', 1) AS empty,
	privacy.partial('a', 1, '*', 1) AS one_char,
	privacy.partial('Zoë Ångström 日本語', 3, '…', 2) AS multibyte,
	privacy.partial(NULL, 1, '*', 1) IS NULL AS null_value,
	privacy.partial('abc', NULL, '*', 1) IS NULL AS null_arg;
SELECT privacy.partial('日本語テキストです', 2, '*', 1) AS cjk;
-- invalid UTF-8 cannot be typed into a UTF-8 database; convert_from refuses it,
-- so the one-megabyte and huge-padding cases cover the remaining size paths.
SELECT length(p) AS len, left(p, 3) AS head, right(p, 3) AS tail
FROM (SELECT privacy.partial(repeat('CANARY-' || '33333333', 131072), 3, '~', 3) AS p) s;
SELECT privacy.partial('secret', -1, '*', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.partial('secret', 1, '*', -1);
\echo :LAST_ERROR_SQLSTATE

-- mask_email: first code point of the local part, fixed filler, domain kept.
SELECT v AS input, privacy.mask_email(v) AS masked
FROM (VALUES ('john.doe@example.com'), ('j@example.com'), ('ünïcödé@exämple.de'), ('日本@例え.jp'),
	(''), ('x'), ('no-at-sign'), ('two@@example.com'), ('a@b@c'), ('@example.com'), ('john@'),
	('john doe@example.com'), (E'john\t@example.com')) AS t(v);
SELECT privacy.mask_email(NULL) IS NULL AS null_stays_null;
SELECT privacy.mask_email('cnry.' || 'secret@example.org') AS canary_masked;
SELECT length(m) AS len, m = '[REDACTED]' AS redacted
FROM (SELECT privacy.mask_email(repeat('a', 1048576) || '@example.com') AS m) s;

-- mask_phone: last 4 digits (never more than half), separators kept.
SELECT v AS input, privacy.mask_phone(v) AS masked
FROM (VALUES ('+1 (212) 555-0123'), ('+44 20 7946 0018'), ('0123456789'), ('12345'), ('1234567'),
	('1234'), (''), ('5'), ('+33 6 12 34 56 78 ext'), ('０１２３４５６７８９'), ('555.0123/45')) AS t(v);
SELECT privacy.mask_phone(NULL) IS NULL AS null_stays_null;
SELECT length(m) AS len, right(m, 4) AS tail, m ~ '^[*]+[0-9]{4}$' AS shape
FROM (SELECT privacy.mask_phone(repeat('9', 1048575) || '8') AS m) s;

-- mask_card: last 4 (optionally first 6), 12..19 digits with spaces/dashes.
SELECT v AS input, privacy.mask_card(v) AS last4, privacy.mask_card(v, 6) AS bin_and_last4
FROM (VALUES ('4111 1111 1111 1234'), ('4111-1111-1111-1234'), ('5555555555554444'), ('378282246310005'),
	('123456789012'), ('12345678901'), ('12345678901234567890'), ('4111 1111 1111 123x'), (''), ('4'),
	('４１１１１１１１１１１１１２３４')) AS t(v);
SELECT privacy.mask_card(NULL) IS NULL AS null1, privacy.mask_card(NULL, 6) IS NULL AS null2,
	privacy.mask_card('4111111111111234', NULL) IS NULL AS null_keep;
SELECT privacy.mask_card('4111-' || '1111-1111-1111') AS canary_masked;
SELECT privacy.mask_card(repeat('4', 1048576)) AS one_megabyte;
SELECT privacy.mask_card('4111111111111234', 4);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_card('not a card', 7);
\echo :LAST_ERROR_SQLSTATE

-- mask_iban: country code + last 4; grouped output when the input is grouped.
SELECT v AS input, privacy.mask_iban(v) AS masked
FROM (VALUES ('DE89 3704 0044 0532 0130 00'), ('DE89370400440532013000'), ('GB29NWBK60161331926819'),
	('fr7630006000011234567890189'), ('DE89'), ('D'), (''), ('1289370400440532013000'),
	('DE89-3704-0044-0532-0130-00'), ('DÉ89370400440532013000')) AS t(v);
SELECT privacy.mask_iban(NULL) IS NULL AS null_stays_null;
SELECT privacy.mask_iban('DE89' || repeat('0', 1048572)) AS one_megabyte;

-- mask_ip: IPv4 /24 and IPv6 /48 by default, or the given prefixes.
SELECT v AS input, privacy.mask_ip(v) AS default_prefix, privacy.mask_ip(v, 16) AS v4_16,
	privacy.mask_ip(v, 8, 32) AS v4_8_v6_32, privacy.mask_ip(v, 32, 128) AS full_length,
	privacy.mask_ip(v, 0, 0) AS nothing
FROM (VALUES ('192.168.10.77'::inet), ('10.1.2.3/8'), ('255.255.255.255'), ('0.0.0.0'),
	('2001:db8:1234:5678:9abc::1'), ('::1'), ('::ffff:192.168.10.77'), ('2001:db8::/32')) AS t(v);
SELECT privacy.mask_ip('192.168.1.0/24'::cidr) AS from_cidr, privacy.mask_ip(NULL) IS NULL AS null_stays_null;
SELECT privacy.mask_ip('10.0.0.1', 33);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_ip('10.0.0.1', -1);
\echo :LAST_ERROR_SQLSTATE
-- the IPv6 prefix is checked even for an IPv4 value: errors never depend on the data
SELECT privacy.mask_ip('10.0.0.1', 24, 129);
\echo :LAST_ERROR_SQLSTATE

-- generalize: integers (edges: negatives, width 1, bounds of the type).
SELECT v, w, privacy.generalize(v, w) AS bucket
FROM (VALUES (42::bigint, 10::bigint), (40, 10), (49, 10), (50, 10), (0, 10), (-1, 10), (-10, 10), (-11, 10),
	(7, 1), (-7, 1), (9223372036854775807, 10), (-9223372036854775808, 10),
	(9223372036854775807, 9223372036854775807), (-9223372036854775808, 9223372036854775807)) AS t(v, w);
SELECT v, w, privacy.generalize(v, w) AS bucket
FROM (VALUES (42, 10), (-1, 10), (5, 1), (2147483647, 10), (-2147483648, 10), (2147483647, 2147483647),
	(-2147483648, 2147483647)) AS t(v, w);
SELECT 45 <@ privacy.generalize(45, 10) AS contains_value, privacy.generalize(NULL::int, 10) IS NULL AS null_value;
SELECT privacy.generalize(42::bigint, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.generalize(42, -5);
\echo :LAST_ERROR_SQLSTATE

-- generalize: numeric, exact at the edges (no float rounding).
SELECT v, w, privacy.generalize(v, w) AS bucket
FROM (VALUES (42.5::numeric, 10::numeric), (49.9999999999999999999999, 10), (50, 10), (-0.5, 10), (-10, 10),
	(-10.0000000000000000001, 10), (0.123, 0.05), (1e30, 7), ('NaN', 10), ('Infinity', 10), ('-Infinity', 1))
	AS t(v, w);
SELECT privacy.generalize(42.5, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.generalize(42.5, 'NaN');
\echo :LAST_ERROR_SQLSTATE
-- the width is checked before the value is looked at
SELECT privacy.generalize('NaN'::numeric, 'Infinity');
\echo :LAST_ERROR_SQLSTATE

-- generalize: dates (ISO weeks start on Monday; decades at years divisible by 10).
SELECT d, u, privacy.generalize(d, u) AS bucket
FROM (VALUES ('2024-05-17'::date, 'day'), ('2024-05-17', 'week'), ('2024-05-20', 'week'), ('2024-05-19', 'week'),
	('2024-05-17', 'month'), ('2024-05-01', 'month'), ('2024-05-31', 'month'), ('2024-02-29', 'month'),
	('2024-12-31', 'quarter'), ('2024-01-01', 'YEAR'), ('2024-12-31', 'year'), ('2029-12-31', 'decade'),
	('2030-01-01', 'Decade'), ('1999-12-31', 'decade'), ('0001-01-01 BC', 'year'), ('0005-06-01 BC', 'decade'),
	('4714-11-24 BC', 'decade'), ('5874897-12-31', 'year'), ('infinity', 'month'), ('-infinity', 'year'))
	AS t(d, u);
SELECT privacy.generalize('2024-05-17'::date, 'fortnight');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.generalize('infinity'::date, 'fortnight');
\echo :LAST_ERROR_SQLSTATE

-- generalize: timestamptz, bucketed in UTC whatever the session time zone.
SET TimeZone = 'UTC';
SELECT t, u, privacy.generalize(t, u) AS bucket
FROM (VALUES ('2024-05-17 13:45:12.5+00'::timestamptz, 'day'), ('2024-05-17 13:45+00', 'week'),
	('2024-05-31 23:59:59.999999+00', 'month'), ('2024-06-01 00:00+00', 'month'), ('2024-03-31 23:00-02', 'quarter'),
	('2024-12-31 23:59:59+00', 'year'), ('2020-01-01 00:00+00', 'decade'), ('294276-12-31 23:59:59+00', 'year'),
	('4713-01-01 00:00+00 BC', 'decade'), ('infinity', 'day'), ('-infinity', 'decade')) AS v(t, u);
SET TimeZone = 'Europe/Paris';
SELECT privacy.generalize('2024-05-31 23:30:00+00'::timestamptz, 'month') AS paris_display,
	privacy.generalize('2024-05-31 23:30:00+00'::timestamptz, 'month') =
		tstzrange('2024-05-01 00:00+00', '2024-06-01 00:00+00') AS same_utc_bucket;
RESET TimeZone;
SELECT privacy.generalize(now(), 'eon');
\echo :LAST_ERROR_SQLSTATE

-- determinism: the same input twice gives the same output, for every pure mask
SELECT count(*) FILTER (WHERE a IS DISTINCT FROM b) AS differing
FROM (SELECT privacy.mask_email('user' || n || '@example.com') AS a, privacy.mask_email('user' || n || '@example.com') AS b
	FROM generate_series(1, 200) n
	UNION ALL
	SELECT privacy.partial('value' || n, 1, '*', 1), privacy.partial('value' || n, 1, '*', 1) FROM generate_series(1, 200) n
	UNION ALL
	SELECT privacy.mask_phone('+44 20 7946 ' || n), privacy.mask_phone('+44 20 7946 ' || n) FROM generate_series(1000, 1200) n
	UNION ALL
	SELECT privacy.mask_card('4000' || lpad(n::text, 12, '0')), privacy.mask_card('4000' || lpad(n::text, 12, '0'))
	FROM generate_series(1, 200) n) s;

-- no error message contains the value: argument errors are static texts
DO $$
DECLARE
	msg text;
BEGIN
	BEGIN
		PERFORM privacy.partial('CANARY-' || '44444444', -1, '*', 0);
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
		RAISE NOTICE 'error mentions the value: %', msg LIKE '%44444444%';
	END;
END $$;

-- labels (the full audit is test/pgtap/labels.sql)
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel, p.proleakproof
FROM pg_proc p
WHERE p.pronamespace = 'privacy'::regnamespace
	AND p.proname IN ('partial', 'mask_email', 'mask_phone', 'mask_card', 'mask_iban', 'mask_ip', 'generalize')
ORDER BY p.oid::regprocedure::text COLLATE "C";
