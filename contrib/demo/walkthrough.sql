-- walkthrough.sql: what the demo shows, step by step. Run by run-demo.sh
-- as the cluster superuser against the demo database, after policies.sql.
\pset footer off
\set ON_ERROR_STOP on
\echo
\echo '== 1. pg_privacy is installed and preloaded'
SELECT privacy.version();

\echo
\echo '== 2. The demo dataset (synthetic, deterministic)'
SELECT (SELECT count(*) FROM cx.customers) AS customers, (SELECT count(*) FROM cx.tickets) AS tickets,
	(SELECT count(*) FROM cx.orders) AS orders, (SELECT count(*) FROM cx.payments) AS payments;

\echo
\echo '== 3. The policies the DBA declared (privacy.column_policies)'
SELECT table_name, column_name, mask, exempt_roles FROM privacy.column_policies ORDER BY table_name::text, column_name;

\echo
\echo '== 4. The same query, as four roles (each declares its purpose: rows about customers need one)'
\echo '-- the data-protection officer (exempt): raw values'
SET ROLE dpo;
SELECT customer_id, full_name, email, phone, date_of_birth, card_number FROM cx.customers ORDER BY customer_id LIMIT 3;
RESET ROLE;
\echo '-- a support agent (masked), working on tickets: enough to recognise a caller, nothing more'
SET ROLE support_agent;
SET privacy.purpose = 'support';
SELECT customer_id, full_name, email, phone, date_of_birth, card_number FROM cx.customers ORDER BY customer_id LIMIT 3;
\echo '-- ... and the mask holds in WHERE too: searching for a real address finds nothing'
SELECT count(*) AS found FROM cx.customers WHERE email = 'liam.smith1@example.org';
\echo '-- ... writing back what it sees is refused, so masking never destroys data'
\set ON_ERROR_STOP off
UPDATE cx.customers SET phone = phone WHERE customer_id = 1;
\set ON_ERROR_STOP on
RESET privacy.purpose;
RESET ROLE;
\echo '-- an analyst: generalized birth dates still give statistics'
SET ROLE analyst;
SET privacy.purpose = 'analytics';
SELECT (extract(year FROM date_of_birth)::int / 10) * 10 AS birth_decade, count(*)
FROM cx.customers GROUP BY 1 ORDER BY 1 LIMIT 5;
RESET privacy.purpose;
RESET ROLE;
\echo '-- marketing, without a declared purpose: no customer at all (rows need a purpose)'
SET ROLE marketing;
SELECT count(*) AS visible_customers FROM cx.customers;
\echo '-- marketing, declaring its purpose: only customers who consented'
SET privacy.purpose = 'marketing';
SELECT count(*) AS visible_customers FROM cx.customers;
RESET privacy.purpose;
RESET ROLE;

\echo
\echo '== 5. Consent revoked: the customer disappears for marketing at once'
SELECT privacy.revoke_consent(email, 'marketing') AS revoked FROM cx.customers WHERE customer_id = 3;
SET ROLE marketing;
SET privacy.purpose = 'marketing';
SELECT count(*) AS visible_customers, count(*) FILTER (WHERE customer_id = 3) AS customer_3 FROM cx.customers;
RESET privacy.purpose;
RESET ROLE;

\echo
\echo '== 6. Tokenized card numbers: same format, and only billing can reverse them'
SET ROLE support_agent;
SET privacy.purpose = 'support';
SELECT payment_id, card_number, card_token FROM cx.payments ORDER BY payment_id LIMIT 3;
\set ON_ERROR_STOP off
SELECT privacy.detokenize(card_token::text, 'card') FROM cx.payments WHERE payment_id = 1;
\set ON_ERROR_STOP on
RESET privacy.purpose;
RESET ROLE;
SET ROLE billing;
SELECT payment_id, card_token, privacy.detokenize(card_token::text, 'card') AS card_number
FROM cx.payments WHERE payment_id = 1;
RESET ROLE;
\echo '-- every detokenization is audited (who, when, how many; never the values)'
SELECT role_name, action, format, value_count FROM privacy.audit_log ORDER BY logged_at DESC LIMIT 3;

\echo
\echo '== 7. Retention: the purge worker removes expired tickets on its own; the hold keeps some'
SELECT count(*) FILTER (WHERE opened_at < now() - interval '2 years') AS expired_tickets_left,
	count(*) FILTER (WHERE opened_at < now() - interval '2 years' AND customer_id = 42) AS held_for_litigation
FROM cx.tickets;
\echo '-- (waiting, at most two minutes, for the background worker)'
DO $$
BEGIN
	FOR i IN 1..120 LOOP
		EXIT WHEN NOT EXISTS (SELECT 1 FROM cx.tickets
		                      WHERE opened_at < now() - interval '2 years' AND customer_id <> 42);
		PERFORM pg_sleep(1);
	END LOOP;
END $$;
SELECT count(*) FILTER (WHERE opened_at < now() - interval '2 years') AS expired_tickets_left,
	count(*) FILTER (WHERE opened_at < now() - interval '2 years' AND customer_id = 42) AS held_for_litigation
FROM cx.tickets;
SELECT table_name, rows_expired, rows_held, method, last_run_status, retention_lag FROM privacy.retention_status;

\echo
\echo '== 8. Compliance: where personal data is, how it is protected, who sees it'
SELECT table_name, column_name, category, protection FROM privacy.inventory ORDER BY table_name::text, column_name;
SELECT count(*) AS coverage_gaps FROM privacy.coverage_gaps;
SELECT role_name, column_name, access, rows_filtered FROM privacy.effective_access
WHERE table_name = 'cx.customers'::regclass AND column_name IN ('email', 'card_number')
  AND role_name IN ('support_agent', 'analyst', 'marketing', 'dpo')
ORDER BY role_name, column_name;

\echo
\echo '== 9. A data-subject request: export, then erasure (the legal hold is respected)'
SET ROLE dpo;
SELECT jsonb_pretty(privacy.export_subject(email) -> 'cx.customers') AS export_customers
FROM cx.customers WHERE customer_id = 42;
SELECT jsonb_pretty(privacy.erase_subject(email)) AS erasure_report FROM cx.customers WHERE customer_id = 42;
RESET ROLE;
SELECT action, object FROM privacy.audit_log WHERE action LIKE 'erase%' ORDER BY logged_at DESC LIMIT 1;
