-- schema.sql: the demo's customer-experience schema. Generated data only;
-- every value is synthetic and deterministic (seed.sql).
CREATE SCHEMA cx;

CREATE TABLE cx.customers (
	customer_id   bigint PRIMARY KEY,
	full_name     text NOT NULL,
	email         text NOT NULL,
	phone         text NOT NULL,
	street        text NOT NULL,
	city          text NOT NULL,
	country       text NOT NULL,
	date_of_birth date NOT NULL,
	card_number   text NOT NULL,
	iban          text,
	last_ip       inet,
	created_at    timestamptz NOT NULL
);

CREATE TABLE cx.tickets (
	ticket_id   bigint PRIMARY KEY,
	customer_id bigint NOT NULL REFERENCES cx.customers,
	opened_at   timestamptz NOT NULL,
	subject     text NOT NULL,
	body        text NOT NULL
);
CREATE INDEX ON cx.tickets (customer_id);
CREATE INDEX ON cx.tickets (opened_at);

CREATE TABLE cx.orders (
	order_id    bigint PRIMARY KEY,
	customer_id bigint NOT NULL REFERENCES cx.customers,
	ordered_at  timestamptz NOT NULL,
	amount      numeric(10,2) NOT NULL
);
CREATE INDEX ON cx.orders (customer_id);

CREATE TABLE cx.payments (
	payment_id  bigint PRIMARY KEY,
	order_id    bigint NOT NULL REFERENCES cx.orders,
	paid_at     timestamptz NOT NULL,
	card_number text NOT NULL,
	amount      numeric(10,2) NOT NULL
);
