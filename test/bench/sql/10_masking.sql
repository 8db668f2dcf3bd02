-- 10_masking.sql: masking functions vs built-ins of similar work, 1M rows.
SELECT * FROM bench.ratio('redact(email) vs lower(email)',
	'SELECT count(privacy.redact(email)) FROM bench.people',
	'SELECT count(lower(email)) FROM bench.people');
SELECT * FROM bench.ratio('partial(full_name) vs left() || padding',
	'SELECT count(privacy.partial(full_name, 1, ''***'', 1)) FROM bench.people',
	'SELECT count(left(full_name, 1) || ''***'') FROM bench.people');
SELECT * FROM bench.ratio('mask_email(email) vs lower(email)',
	'SELECT count(privacy.mask_email(email)) FROM bench.people',
	'SELECT count(lower(email)) FROM bench.people');
SELECT * FROM bench.ratio('mask_phone(phone) vs replace(phone)',
	'SELECT count(privacy.mask_phone(phone)) FROM bench.people',
	'SELECT count(replace(phone, ''0'', ''*'')) FROM bench.people');
SELECT * FROM bench.ratio('mask_card(card) vs replace(card)',
	'SELECT count(privacy.mask_card(card)) FROM bench.people',
	'SELECT count(replace(card, ''4'', ''*'')) FROM bench.people');
SELECT * FROM bench.ratio('mask_card(card, 6) vs upper(card)',
	'SELECT count(privacy.mask_card(card, 6)) FROM bench.people',
	'SELECT count(upper(card)) FROM bench.people');
SELECT * FROM bench.ratio('mask_iban(iban) vs upper(iban)',
	'SELECT count(privacy.mask_iban(''DE89'' || lpad(id::text, 18, ''0''))) FROM bench.people',
	'SELECT count(upper(''DE89'' || lpad(id::text, 18, ''0''))) FROM bench.people');
SELECT * FROM bench.ratio('mask_ip(ip) vs network(set_masklen(ip, 24))',
	'SELECT count(privacy.mask_ip(''10.0.0.0''::inet + id)) FROM bench.people',
	'SELECT count(network(set_masklen(''10.0.0.0''::inet + id, 24))) FROM bench.people');
SELECT * FROM bench.ratio('generalize(id, 10) vs width_bucket',
	'SELECT count(privacy.generalize(id, 10)) FROM bench.people',
	'SELECT count(width_bucket(id, 0, 1000000, 100000)) FROM bench.people');
SELECT * FROM bench.ratio('generalize(numeric, 10) vs width_bucket(numeric)',
	'SELECT count(privacy.generalize(id::numeric / 7, 10)) FROM bench.people',
	'SELECT count(width_bucket(id::numeric / 7, 0, 1000000, 100000)) FROM bench.people');
SELECT * FROM bench.ratio('generalize(date, month) vs date_trunc',
	'SELECT count(privacy.generalize(date ''2000-01-01'' + (id % 10000)::int, ''month'')) FROM bench.people',
	'SELECT count(date_trunc(''month'', date ''2000-01-01'' + (id % 10000)::int)) FROM bench.people');
SELECT * FROM bench.ratio('generalize(timestamptz, year) vs date_trunc',
	'SELECT count(privacy.generalize(timestamptz ''2000-01-01 00:00+00'' + id * interval ''1 minute'', ''year'')) FROM bench.people',
	'SELECT count(date_trunc(''year'', timestamptz ''2000-01-01 00:00+00'' + id * interval ''1 minute'')) FROM bench.people');
SELECT * FROM bench.ratio('noise(bigint) vs multiplication',
	'SELECT count(privacy.noise(id, 0.1)) FROM bench.people',
	'SELECT count((id * 1.1::float8)::bigint) FROM bench.people');
SELECT * FROM bench.ratio('noise(float8) vs multiplication',
	'SELECT count(privacy.noise(id::float8, 0.1)) FROM bench.people',
	'SELECT count(id::float8 * 1.1) FROM bench.people');
SELECT * FROM bench.ratio('noise(numeric) vs numeric multiplication',
	'SELECT count(privacy.noise(id::numeric / 7, 0.1)) FROM bench.people',
	'SELECT count(round(id::numeric / 7 * 1.1, 2)) FROM bench.people', goal => '<= 2');
-- noise and shift_date compute one keyed PRF (SipHash) per row; they are
-- also measured against md5, a hash of similar work.
SELECT * FROM bench.ratio('noise(bigint) vs md5(id::text)',
	'SELECT count(privacy.noise(id, 0.1)) FROM bench.people',
	'SELECT count(md5(id::text)) FROM bench.people');
SELECT * FROM bench.ratio('shift_date(date) vs md5(id::text)',
	'SELECT count(privacy.shift_date(date ''2000-01-01'' + (id % 10000)::int, 30)) FROM bench.people',
	'SELECT count(md5(id::text)) FROM bench.people');
SELECT * FROM bench.ratio('shift_date(date) vs date + int',
	'SELECT count(privacy.shift_date(date ''2000-01-01'' + (id % 10000)::int, 30)) FROM bench.people',
	'SELECT count(date ''2000-01-01'' + (id % 10000)::int + 30) FROM bench.people');
SELECT * FROM bench.ratio('pseudonym(email) vs md5(email)',
	'SELECT count(privacy.pseudonym(email)) FROM bench.people',
	'SELECT count(md5(email)) FROM bench.people');
SELECT * FROM bench.ratio('fake_first_name(email) vs md5(email)',
	'SELECT count(privacy.fake_first_name(email)) FROM bench.people',
	'SELECT count(md5(email)) FROM bench.people');
SELECT * FROM bench.ratio('fake_last_name(email) vs md5(email)',
	'SELECT count(privacy.fake_last_name(email)) FROM bench.people',
	'SELECT count(md5(email)) FROM bench.people');
SELECT * FROM bench.ratio('fake_full_name(email) vs md5(email)',
	'SELECT count(privacy.fake_full_name(email)) FROM bench.people',
	'SELECT count(md5(email)) FROM bench.people');
SELECT * FROM bench.ratio('fake_email(email) vs md5(email)',
	'SELECT count(privacy.fake_email(email)) FROM bench.people',
	'SELECT count(md5(email)) FROM bench.people');
SELECT * FROM bench.ratio('fake_phone(email) vs md5(email)',
	'SELECT count(privacy.fake_phone(email)) FROM bench.people',
	'SELECT count(md5(email)) FROM bench.people');
SELECT * FROM bench.ratio('fake_city(email, fr) vs md5(email)',
	'SELECT count(privacy.fake_city(email, ''fr'')) FROM bench.people',
	'SELECT count(md5(email)) FROM bench.people');
SELECT * FROM bench.ratio('fake_street_address(email, de) vs md5(email)',
	'SELECT count(privacy.fake_street_address(email, ''de'')) FROM bench.people',
	'SELECT count(md5(email)) FROM bench.people');
SELECT * FROM bench.ratio('fake_company(email) vs md5(email)',
	'SELECT count(privacy.fake_company(email)) FROM bench.people',
	'SELECT count(md5(email)) FROM bench.people');
SELECT * FROM bench.ratio('fake_iban(email) vs md5(email)',
	'SELECT count(privacy.fake_iban(email)) FROM bench.people',
	'SELECT count(md5(email)) FROM bench.people');
SELECT * FROM bench.ratio('fake_card(email) vs md5(email)',
	'SELECT count(privacy.fake_card(email)) FROM bench.people',
	'SELECT count(md5(email)) FROM bench.people');
