-- ref.billing_accounts and ref.billing_account_names: who an invoice is addressed to.
-- MAINTAINED BY FINANCE (role itc_finance). A firm that renames itself, or appears under two
-- spellings, or sends demands under an Exchange customerId, is billed on ONE account when its names
-- and/or customer ids are mapped to that account. Resolution of a billable unit (analytics.billable_units):
--   1. its Exchange customerId, when mapped (match_kind 'customer_id', exact after trimming);
--   2. else its firm name, when mapped (match_kind 'firm_name', compared by ref.firm_match_key:
--      case, surrounding and repeated whitespace ignored);
--   3. else it is billed under its own firm name, with no account, as before accounts existed
--      (the quality checks warn about such firms while they have usage on an open invoice).
-- Mappings apply live (no refresh needed); a change that moves units of a closed month to another
-- account appears as adjustment lines on the next invoice. Every change is audited (ops.finance_audit).
CREATE FUNCTION ref.firm_match_key(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT nullif(lower(regexp_replace(btrim(name), '\s+', ' ', 'g')), '')
$$;
COMMENT ON FUNCTION ref.firm_match_key(text) IS 'The form in which firm names are matched to billing accounts: lower case, whitespace trimmed and collapsed; null for an empty name.';

CREATE TABLE ref.billing_accounts (
    account_id   text        PRIMARY KEY CHECK (account_id ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    account_name text        NOT NULL UNIQUE CHECK (account_name = btrim(account_name) AND account_name <> ''),
    note         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text        NOT NULL DEFAULT session_user
);
COMMENT ON TABLE ref.billing_accounts IS 'Billing accounts (maintained by finance): the customer an invoice is addressed to. Firm names and Exchange customer ids are mapped to an account in ref.billing_account_names. No PHI.';
COMMENT ON COLUMN ref.billing_accounts.account_id IS 'Stable account key: lower-case letters, digits, . _ - (e.g. smith-law). Never reused. Not PHI.';
COMMENT ON COLUMN ref.billing_accounts.account_name IS 'Name the invoice is addressed to (shown as firm_name on the account''s invoice lines). Not PHI.';
COMMENT ON COLUMN ref.billing_accounts.note IS 'Free note for finance (no PHI). Not PHI.';
COMMENT ON COLUMN ref.billing_accounts.created_at IS 'When the account was created. Not PHI.';
COMMENT ON COLUMN ref.billing_accounts.created_by IS 'Login that created it. Not PHI.';

CREATE TABLE ref.billing_account_names (
    match_kind  text        NOT NULL CHECK (match_kind IN ('firm_name', 'customer_id')),
    match_value text        NOT NULL CHECK (btrim(match_value) <> ''),
    match_key   text        GENERATED ALWAYS AS (
                                CASE match_kind WHEN 'firm_name' THEN ref.firm_match_key(match_value)
                                                ELSE btrim(match_value) END) STORED,
    account_id  text        NOT NULL REFERENCES ref.billing_accounts (account_id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text        NOT NULL DEFAULT session_user,
    PRIMARY KEY (match_kind, match_key)
);
CREATE INDEX billing_account_names_account_idx ON ref.billing_account_names (account_id);
COMMENT ON TABLE ref.billing_account_names IS 'Which firm names and Exchange customer ids bill on which account (maintained by finance). A customer id mapping wins over a firm name mapping; a name matches whatever its case and spacing; one name or id maps to one account. No PHI.';
COMMENT ON COLUMN ref.billing_account_names.match_kind IS 'firm_name (demand sending firm or Verify+ firm name) or customer_id (Exchange customerId of a demand). Not PHI.';
COMMENT ON COLUMN ref.billing_account_names.match_value IS 'The firm name or customer id as entered. Not PHI.';
COMMENT ON COLUMN ref.billing_account_names.match_key IS 'What is matched: ref.firm_match_key(match_value) for a firm name, the trimmed id for a customer id. Generated. Not PHI.';
COMMENT ON COLUMN ref.billing_account_names.account_id IS 'The account (ref.billing_accounts) the name or id bills on. Not PHI.';
COMMENT ON COLUMN ref.billing_account_names.created_at IS 'When the mapping was entered. Not PHI.';
COMMENT ON COLUMN ref.billing_account_names.created_by IS 'Login that entered it. Not PHI.';

CREATE FUNCTION ref.billing_account(p_firm_match_key text, p_customer_id text)
RETURNS TABLE (account_id text, account_name text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT a.account_id, a.account_name
    FROM ref.billing_accounts AS a
    WHERE a.account_id = coalesce(
        (SELECT n.account_id FROM ref.billing_account_names AS n
         WHERE n.match_kind = 'customer_id' AND n.match_key = btrim(p_customer_id)),
        (SELECT n.account_id FROM ref.billing_account_names AS n
         WHERE n.match_kind = 'firm_name' AND n.match_key = p_firm_match_key))
$$;
COMMENT ON FUNCTION ref.billing_account(text, text) IS 'The billing-account rule, defined once: the account of a unit from its firm match key (ref.firm_match_key of its firm name) and Exchange customer id - the customer id''s mapping, else the firm name''s; no row when neither is mapped (the unit bills under its own firm name).';
