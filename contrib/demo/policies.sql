-- policies.sql: the privacy programme of the demo company, declared once by
-- the DBA (superuser). Roles, masks, tokenized card numbers, purposes and
-- consents.
CREATE ROLE support_agent;   -- answers tickets: sees contact data masked
CREATE ROLE analyst;         -- statistics: generalized and pseudonymous data
CREATE ROLE marketing;       -- campaigns: only customers who consented
CREATE ROLE billing;         -- may detokenize card numbers
CREATE ROLE dpo;             -- data-protection officer: sees everything
GRANT USAGE ON SCHEMA cx TO support_agent, analyst, marketing, billing, dpo;
GRANT SELECT ON ALL TABLES IN SCHEMA cx TO support_agent, analyst, marketing, billing, dpo;
GRANT UPDATE ON cx.customers, cx.tickets TO support_agent;

-- Dynamic masking: every role that is not exempt sees these expressions.
SELECT privacy.mask_column('cx.customers', 'full_name', $$privacy.partial(full_name, 1, '*** ', 0)$$);
SELECT privacy.mask_column('cx.customers', 'email', 'privacy.mask_email(email)');
SELECT privacy.mask_column('cx.customers', 'phone', 'privacy.mask_phone(phone)');
SELECT privacy.mask_column('cx.customers', 'street', 'privacy.redact(street)');
SELECT privacy.mask_column('cx.customers', 'date_of_birth', $$date_trunc('year', date_of_birth)::date$$);
SELECT privacy.mask_column('cx.customers', 'card_number', 'privacy.mask_card(card_number)');
SELECT privacy.mask_column('cx.customers', 'iban', 'privacy.mask_iban(iban)');
SELECT privacy.mask_column('cx.customers', 'last_ip', 'privacy.mask_ip(last_ip)');
SELECT privacy.mask_column('cx.payments', 'card_number', 'privacy.mask_card(card_number)');
SELECT privacy.grant_unmasked('dpo');

-- Tokenization: payments also keep a format-preserving token of the card,
-- which billing may turn back into the number (audited).
SELECT privacy.create_key('default') AS key_version;
ALTER TABLE cx.payments ADD COLUMN card_token privacy.card_token;
UPDATE cx.payments SET card_token = privacy.tokenize(card_number, 'card')::privacy.card_token;
GRANT SELECT ON ALL TABLES IN SCHEMA cx TO support_agent, analyst, marketing, billing, dpo;
SELECT privacy.grant_detokenize('billing', 'card');

-- Consent: marketing may only see customers who agreed to it.
SELECT privacy.create_purpose('marketing', 'Newsletters and offers');
SELECT privacy.create_purpose('support', 'Answering customer tickets');
SELECT privacy.create_purpose('analytics', 'Aggregate statistics');
SELECT privacy.allow_purpose('marketing', 'marketing');
SELECT privacy.allow_purpose('support_agent', 'support');
SELECT privacy.allow_purpose('analyst', 'analytics');
SELECT privacy.allow_purpose('billing', 'support');
SELECT privacy.require_consent('cx.customers', 'email', 'marketing');
INSERT INTO privacy._consent (subject, purpose, granted_at, granted_by)
SELECT email, 'marketing', now(), 'demo' FROM cx.customers WHERE customer_id % 3 = 0;
ANALYZE cx.customers, cx.payments;

-- Separation of duties: the DPO administers policies and reads the audit.
SELECT privacy.setup_roles();
GRANT privacy_admin TO dpo;

-- Retention: tickets are kept two years; a legal hold keeps one customer's.
SELECT privacy.set_retention('cx.tickets', 'opened_at', interval '2 years');
SELECT privacy.place_hold('cx.tickets', 'customer_id = 42', 'Litigation: case 2026-117') AS hold_id;

-- Inventory: accept what discovery finds, and register the data subjects.
SELECT privacy.classify(table_name, column_name, category) FROM privacy.discover('cx');
SELECT privacy.register_subject('cx.customers', 'email');
SELECT privacy.register_subject('cx.tickets', 'customer_id', via => 'cx.customers');
SELECT privacy.register_subject('cx.orders', 'customer_id', via => 'cx.customers');
SELECT privacy.register_subject('cx.payments', 'order_id', via => 'cx.orders');
