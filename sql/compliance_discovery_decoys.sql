-- compliance_discovery_decoys.sql: discovery precision on a multilingual
-- schema with decoys. Columns whose names contain a personal-data keyword
-- but hold something else (email_template_id, phone_model, card_type,
-- iban_verified, ...) are not findings: the word after the keyword makes
-- them a property (0.3), or their type or sampled values contradict the
-- category (0.15); capitalised product names alone are not personal names.
-- Every real personal-data column (en, fr, de, es names) is still found.
CREATE SCHEMA dcy;
CREATE TABLE dcy.kunden (
	id int,
	correo text, telefono text, geburtsdatum date, nom text, prenom text, apellidos text, adresse text,
	numero_tarjeta text, kontonummer text, direccion_ip text, dni text, notas text,
	email_template_id int, phone_model text, name_of_product text, card_type text, iban_verified boolean,
	ip_count int, nombre_producto text, telefon_typ text, email_status text, produkt text);
INSERT INTO dcy.kunden
SELECT i,
	'kunde' || i || '@example.es', '+34 612 345 ' || lpad(i::text, 3, '0'), date '1950-01-01' + i * 97,
	(ARRAY['Dupont', 'Martin', 'Bernard'])[1 + i % 3], (ARRAY['Marie', 'Jean', 'Luc'])[1 + i % 3],
	(ARRAY['García López', 'Pérez Ruiz'])[1 + i % 2], i || ' rue de la Paix',
	privacy.fake_card('seed' || i), 'DE89370400440532013000', '10.0.' || (i % 200) || '.' || (i % 7 + 1),
	lpad(i::text, 8, '0') || 'Z', 'Cliente llamó dos veces por el pedido número ' || i,
	i % 5, (ARRAY['iPhone 12', 'Pixel 7', 'Galaxy S21'])[1 + i % 3],
	(ARRAY['Steel Kettle', 'Coffee Grinder', 'Tea Set'])[1 + i % 3], (ARRAY['visa', 'mastercard'])[1 + i % 2],
	i % 2 = 0, i % 9, (ARRAY['Cafetera Italiana', 'Tetera Azul'])[1 + i % 2], (ARRAY['mobil', 'festnetz'])[1 + i % 2],
	(ARRAY['sent', 'bounced'])[1 + i % 2], (ARRAY['Wasserkocher Silber', 'Kaffee Mühle'])[1 + i % 2]
FROM generate_series(1, 80) AS i;
SELECT column_name, category, confidence, evidence FROM privacy.discover('dcy') ORDER BY 1;
-- no false negatives
SELECT c AS missing_column, cat AS missing_category
FROM (VALUES ('correo', 'email'), ('telefono', 'phone'), ('geburtsdatum', 'date_of_birth'), ('nom', 'person_name'),
	('prenom', 'person_name'), ('apellidos', 'person_name'), ('adresse', 'postal_address'),
	('numero_tarjeta', 'payment_card'), ('kontonummer', 'iban'), ('direccion_ip', 'ip_address'),
	('dni', 'national_id'), ('notas', 'free_text')) AS e(c, cat)
EXCEPT
SELECT column_name, category FROM privacy.discover('dcy');
-- false positives: at most 2 (the goal), listed
SELECT count(*) AS false_positives, coalesce(string_agg(column_name::text, ', ' ORDER BY column_name), '') AS which
FROM privacy.discover('dcy')
WHERE column_name NOT IN ('correo', 'telefono', 'geburtsdatum', 'nom', 'prenom', 'apellidos', 'adresse',
	'numero_tarjeta', 'kontonummer', 'direccion_ip', 'dni', 'notas');
-- the decoys' names still count as evidence when the values agree: a
-- qualified name holding real addresses is found from its values
CREATE TABLE dcy.contacts (id int, email_status text);
INSERT INTO dcy.contacts SELECT i, 'c' || i || '@example.org' FROM generate_series(1, 20) i;
SELECT column_name, category, confidence FROM privacy.discover('dcy') WHERE table_name = 'dcy.contacts'::regclass;
DROP SCHEMA dcy CASCADE;
