-- Invoices: one open invoice per partner collects every charge of its billing period; at the end
-- of the period it is issued (taxes, settlement by billing method) and the next one opens.
CREATE TABLE invoices (
    id                        bigserial   NOT NULL UNIQUE,
    invoice_sid               uuid        PRIMARY KEY,
    partner_sid               uuid        NOT NULL REFERENCES partners (partner_sid),
    -- The per-partner sequence shown as `display_id` ("004").
    seq                       integer     NOT NULL,
    status                    text        NOT NULL DEFAULT 'open'
                              CHECK (status IN ('charging', 'complete', 'created', 'declined', 'error', 'open',
                                                'pending', 'reviewing', 'uncollectable')),
    amount_due                numeric     NOT NULL DEFAULT 0,
    balance_previous          numeric     NOT NULL DEFAULT 0,
    date_billing_period_start timestamptz NOT NULL,
    date_billing_period_end   timestamptz NOT NULL,
    date_charged              timestamptz,
    date_issued               timestamptz,
    date_created              timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    -- Failed attempts to issue it (it waits behind the others), and the last error.
    close_attempts            integer     NOT NULL DEFAULT 0,
    close_error               text,
    UNIQUE (partner_sid, seq)
);
CREATE INDEX invoices_partner_idx ON invoices (partner_sid, id);
-- One open invoice per partner; the period job finds those whose period has ended.
CREATE UNIQUE INDEX invoices_open_idx ON invoices (partner_sid) WHERE status = 'open';
CREATE INDEX invoices_period_end_idx ON invoices (close_attempts, date_billing_period_end) WHERE status = 'open';

-- A partner's periods follow its creation day (`anchor`): period k runs from the anchor plus k
-- months (00:00:00 UTC) to the anchor plus k + 1 months less a second, whatever month lengths
-- and early closes do. The period of the schedule that contains `t`:
CREATE FUNCTION billing_months(anchor timestamptz, t timestamptz) RETURNS integer
LANGUAGE sql STABLE AS $$
    -- age() counts whole months as the calendar does (January 31st to February 28th is not one);
    -- the schedule's boundary is the anchor plus k months (February 28th): the larger k wins.
    SELECT CASE WHEN (anchor AT TIME ZONE 'UTC') + make_interval(months => m + 1) <= (t AT TIME ZONE 'UTC')
                THEN m + 1 ELSE m END
      FROM (SELECT (extract(year FROM a) * 12 + extract(month FROM a))::int AS m
              FROM age(t AT TIME ZONE 'UTC', anchor AT TIME ZONE 'UTC') AS a) AS x
$$;
CREATE FUNCTION billing_period_start(anchor timestamptz, t timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT ((anchor AT TIME ZONE 'UTC') + make_interval(months => billing_months(anchor, t))) AT TIME ZONE 'UTC'
$$;
CREATE FUNCTION billing_period_end(anchor timestamptz, t timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT ((anchor AT TIME ZONE 'UTC') + make_interval(months => billing_months(anchor, t) + 1)
            - interval '1 second') AT TIME ZONE 'UTC'
$$;

-- Charges of one kind add up on one line: usage and amount grow with each charge.
CREATE TABLE invoice_items (
    invoice_id                bigint      NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    type                      text        NOT NULL,
    direction                 text,
    country_code              text,
    usage                     bigint      NOT NULL DEFAULT 0,
    amount                    numeric     NOT NULL DEFAULT 0,
    date_billing_period_start timestamptz NOT NULL,
    date_billing_period_end   timestamptz NOT NULL,
    UNIQUE NULLS NOT DISTINCT (invoice_id, type, direction, country_code)
);

-- Charges of requests that write nothing else (lookup details): appended without touching the
-- partner's rows (many requests at once never wait on one another), folded into the open invoice
-- and the balance within a second by a job on any instance, and before a period is closed.
CREATE TABLE pending_charges (
    id              bigserial   PRIMARY KEY,
    partner_sid     uuid        NOT NULL,
    type            text        NOT NULL,
    direction       text,
    country_code    text,
    usage           bigint      NOT NULL,
    amount          numeric     NOT NULL,
    date_created    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_charges_partner_idx ON pending_charges (partner_sid, id);

CREATE TABLE invoice_pay_items (
    id              bigserial   PRIMARY KEY,
    pay_item_sid    uuid        NOT NULL UNIQUE,
    invoice_id      bigint      NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    amount          numeric     NOT NULL,
    type            text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('complete', 'declined', 'error')),
    billing_method  jsonb,
    check_number    text,
    date_charged    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX invoice_pay_items_invoice_idx ON invoice_pay_items (invoice_id, id);

CREATE TABLE invoice_tax_items (
    id              bigserial   PRIMARY KEY,
    invoice_id      bigint      NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    jurisdiction    text        NOT NULL,
    type            text        NOT NULL,
    amount          numeric     NOT NULL
);
CREATE INDEX invoice_tax_items_invoice_idx ON invoice_tax_items (invoice_id, id);

-- The taxes applied when an invoice is issued: `rate` times the items of the types in
-- `applies_to` (of `country_code` only, when set), rounded to the cent.
CREATE TABLE tax_rates (
    id              serial      PRIMARY KEY,
    jurisdiction    text        NOT NULL,
    type            text        NOT NULL,
    rate            numeric     NOT NULL CHECK (rate >= 0),
    applies_to      text[]      NOT NULL,
    country_code    text,
    UNIQUE (jurisdiction, type, country_code)
);
-- The federal Universal Service Fund line of the reference's sample, at the FCC contribution
-- factor of the fourth quarter of 2024 (34.6 %), on interstate telecommunications: calls and
-- number rentals in the USA.
INSERT INTO tax_rates (jurisdiction, type, rate, applies_to, country_code)
VALUES ('federal', 'fed_universal_service_fund', 0.346, ARRAY['toll', 'toll_free', 'did'], 'USA');

-- What a partner spent today (`daily_spent_amount` starts again each day, UTC).
ALTER TABLE partners ADD COLUMN daily_spent_date date;

-- Every partner has its open invoice from its creation: its first period starts the day it is
-- created and lasts a month; its balance is the partner's (credit: negative).
CREATE FUNCTION open_first_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    start timestamptz := date_trunc('day', NEW.date_created, 'UTC');
BEGIN
    INSERT INTO invoices (invoice_sid, partner_sid, seq, balance_previous, date_billing_period_start,
                          date_billing_period_end, date_created)
    VALUES (gen_random_uuid(), NEW.partner_sid, 1, -NEW.balance, start, billing_period_end(start, start),
            NEW.date_created);
    RETURN NEW;
END $$;
CREATE TRIGGER partners_open_invoice AFTER INSERT ON partners FOR EACH ROW EXECUTE FUNCTION open_first_invoice();

-- The partners that exist already: their first invoice is the period of their schedule that
-- contains today (no past month is billed).
INSERT INTO invoices (invoice_sid, partner_sid, seq, balance_previous, date_billing_period_start,
                      date_billing_period_end, date_created)
SELECT gen_random_uuid(), p.partner_sid, 1, -p.balance,
       billing_period_start(date_trunc('day', p.date_created, 'UTC'), now()),
       billing_period_end(date_trunc('day', p.date_created, 'UTC'), now()), now()
  FROM partners p;
