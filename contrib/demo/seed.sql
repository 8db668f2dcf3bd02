-- seed.sql: deterministic synthetic data. :customers customers (default
-- 100000), about 2 tickets, 3 orders and 3 payments each. No randomness:
-- every value is a function of the row number, so every run is identical.
\if :{?customers}
\else
\set customers 100000
\endif

CREATE TEMP TABLE first_names(i int, name text);
INSERT INTO first_names SELECT ordinality - 1, n FROM unnest(ARRAY[
	'Olivia','Liam','Emma','Noah','Amelia','Oliver','Ava','Elijah','Sophia','Lucas','Mia','Levi','Isabella',
	'Mateo','Evelyn','Ezra','Harper','Asher','Luna','James','Camille','Louis','Chloé','Hugo','Léa','Jules',
	'Manon','Gabriel','Inès','Arthur','Lena','Finn','Hanna','Paul','Mila','Jonas','Emilia','Ben','Clara','Elias',
	'Zoë','Ángel','Lucía','Søren','Ingrid','Mohammed','Fatima','Yuki','Wei','Priya']) WITH ORDINALITY AS t(n);
CREATE TEMP TABLE last_names(i int, name text);
INSERT INTO last_names SELECT ordinality - 1, n FROM unnest(ARRAY[
	'Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez','Martinez','Hernandez',
	'Lopez','Gonzalez','Wilson','Anderson','Thomas','Taylor','Moore','Jackson','Martin','Bernard','Dubois',
	'Durand','Lefebvre','Moreau','Laurent','Simon','Michel','Müller','Schmidt','Schneider','Fischer','Weber',
	'Meyer','Wagner','Becker','Schulz','Hoffmann','Nguyen','Kim','Patel','Okafor','Rossi','Russo','Novak',
	'Kowalski','Jensen','Andersson','Yamamoto','Chen']) WITH ORDINALITY AS t(n);
CREATE TEMP TABLE cities(i int, name text, country text);
INSERT INTO cities VALUES
	(0,'London','GB'),(1,'Manchester','GB'),(2,'Paris','FR'),(3,'Lyon','FR'),(4,'Marseille','FR'),(5,'Berlin','DE'),
	(6,'Hamburg','DE'),(7,'München','DE'),(8,'New York','US'),(9,'Chicago','US'),(10,'Austin','US'),
	(11,'Madrid','ES'),(12,'Barcelona','ES'),(13,'Roma','IT'),(14,'Milano','IT'),(15,'Amsterdam','NL'),
	(16,'København','DK'),(17,'Stockholm','SE'),(18,'Warszawa','PL'),(19,'Dublin','IE');

-- luhn_digit(digits) computes the check digit that makes digits||d Luhn-valid.
CREATE FUNCTION pg_temp.luhn_digit(digits text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
	SELECT (10 - sum(CASE WHEN (length(digits) - i) % 2 = 0
	                      THEN (d * 2) / 10 + (d * 2) % 10 ELSE d END)::int % 10) % 10
	FROM (SELECT i, substr(digits, i, 1)::int AS d FROM generate_series(1, length(digits)) AS i) s
$$;

INSERT INTO cx.customers
SELECT n,
	f.name || ' ' || l.name,
	lower(translate(f.name, 'ÁÉÍÓÚáéíóúàèìòùâêîôûäëïöüçñøåÅØÄÖÜ', 'AEIOUaeiouaeiouaeiouaeioucnoaAOAOU'))
		|| '.' || lower(translate(l.name, 'üÜ', 'uU')) || n || '@example.' || (ARRAY['com','org','net'])[1 + n % 3],
	'+' || (ARRAY['44','33','49','1','34','39','31','45','46','48','353'])[1 + n % 11] || ' '
		|| lpad(((n * 7919) % 1000)::text, 3, '0') || ' ' || lpad(((n * 104729) % 1000000)::text, 6, '0'),
	(1 + n % 250) || ' ' || (ARRAY['High Street','Rue de la Paix','Hauptstraße','Main Street','Calle Mayor',
		'Via Roma','Kerkstraat','Storgatan'])[1 + n % 8],
	c.name, c.country,
	date '1940-01-01' + ((n * 37) % 23000)::int,
	card.digits || pg_temp.luhn_digit(card.digits),
	CASE WHEN n % 4 = 0 THEN 'DE' || lpad(((n * 31) % 97)::text, 2, '0') || lpad((n * 7)::text, 18, '0') END,
	('10.' || (n / 65536) % 256 || '.' || (n / 256) % 256 || '.' || n % 256)::inet,
	timestamptz '2020-01-01 00:00:00+00' + (n % 2000) * interval '1 day' + (n % 86400) * interval '1 second'
FROM generate_series(1::bigint, :customers) AS n
JOIN first_names f ON f.i = (n % 50)::int
JOIN last_names l ON l.i = ((n / 50) % 50)::int
JOIN cities c ON c.i = ((n * 7) % 20)::int
CROSS JOIN LATERAL (SELECT '4' || lpad(((n::bigint * 2654435761) % 100000000000000)::text, 14, '0') AS digits) card;

INSERT INTO cx.tickets
SELECT t, 1 + (t * 7) % :customers,
	timestamptz '2024-01-01 00:00:00+00' + (t % 700) * interval '1 day' + (t % 3600) * interval '1 second',
	(ARRAY['Card declined','Where is my order?','Change of address','Refund request','Account locked'])[1 + t % 5],
	'Customer wrote: please call me back about order ' || (t * 3) || '.'
FROM generate_series(1::bigint, 2 * :customers) AS t;

INSERT INTO cx.orders
SELECT o, 1 + (o * 13) % :customers,
	timestamptz '2023-01-01 00:00:00+00' + (o % 1000) * interval '1 day',
	round(((o * 7907) % 50000) / 100.0 + 5, 2)
FROM generate_series(1::bigint, 3 * :customers) AS o;

INSERT INTO cx.payments
SELECT o.order_id, o.order_id, o.ordered_at + interval '5 minutes', c.card_number, o.amount
FROM cx.orders o JOIN cx.customers c USING (customer_id);

ANALYZE cx.customers, cx.tickets, cx.orders, cx.payments;
