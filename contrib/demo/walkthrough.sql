-- walkthrough.sql: what the demo shows, step by step. Run by run-demo.sh
-- as the cluster superuser against the demo database.
\pset footer off
\echo
\echo '== 1. pg_privacy is installed and preloaded'
SELECT privacy.version();

\echo
\echo '== 2. The demo dataset (synthetic, deterministic)'
SELECT (SELECT count(*) FROM cx.customers) AS customers, (SELECT count(*) FROM cx.tickets) AS tickets,
	(SELECT count(*) FROM cx.orders) AS orders, (SELECT count(*) FROM cx.payments) AS payments;

\echo
\echo '== 3. Raw personal data, as the superuser sees it'
SELECT customer_id, full_name, email, phone, card_number FROM cx.customers ORDER BY customer_id LIMIT 3;

\echo
\echo '== 4. The same rows through privacy.redact(): nothing, not even the length, is revealed'
SELECT customer_id, privacy.redact(full_name) AS full_name, privacy.redact(email) AS email,
	privacy.redact(card_number) AS card_number
FROM cx.customers ORDER BY customer_id LIMIT 3;

