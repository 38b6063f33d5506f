-- The reference rates: what every partner reads (and is rated with) until an admin gives it, or
-- every partner, a plan of its own (POST /admin/calls/rates_plans and .../assignments). On the
-- real service every partner has rates; so does a fresh carrierx-core. Prices are in the README.
--
-- The plans are seeded by a function so that a reset (which empties the rate tables) seeds them
-- again; their secure IDs derive from their names, the same on every database. An assignment an
-- admin made is never replaced.
ALTER TABLE rate_plans ADD COLUMN builtin boolean NOT NULL DEFAULT false;

-- One built-in plan (created once, with its items: [prefix, country_code, price, increment,
-- minimum]) made the default of a direction and kind unless a default is set.
CREATE FUNCTION carrierx_seed_plan(name text, direction text, kind text, items jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    plan uuid := md5(name)::uuid;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rate_plans WHERE rates_plan_sid = plan) THEN
        INSERT INTO rate_plans (rates_plan_sid, name, effective_date, builtin) VALUES (plan, name, '2024-01-01', true);
        INSERT INTO rate_plan_items (rates_plan_sid, prefix, country_code, price, billing_increment, billing_minimum)
        SELECT plan, i->>0, i->>1, (i->>2)::numeric, (i->>3)::integer, (i->>4)::integer
          FROM jsonb_array_elements(items) WITH ORDINALITY AS t(i, n)
         ORDER BY n;
    END IF;
    INSERT INTO rate_plan_assignments (partner_sid, direction, kind, rates_plan_sid)
    VALUES (NULL, direction, kind, plan) ON CONFLICT DO NOTHING;
END;
$$;

CREATE FUNCTION carrierx_seed_default_rates() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    sub text;
    dir text;
BEGIN
    -- Calls from the PSTN: anywhere 0.005 a minute (the reference's sample), US toll-free more.
    PERFORM carrierx_seed_plan('carrierx_core_pstn_inbound', 'inbound', 'pstn', '[
        [null, null, "0.005", 60, 60],
        ["1800", "USA", "0.012", 60, 60], ["1833", "USA", "0.012", 60, 60], ["1844", "USA", "0.012", 60, 60],
        ["1855", "USA", "0.012", 60, 60], ["1866", "USA", "0.012", 60, 60], ["1877", "USA", "0.012", 60, 60],
        ["1888", "USA", "0.012", 60, 60]]');
    -- Calls to the PSTN: the US in 6 s increments (the reference's sample), elsewhere by the minute.
    PERFORM carrierx_seed_plan('carrierx_core_pstn_outbound', 'outbound', 'pstn', '[
        ["1", "USA", "0.01", 6, 6],
        [null, null, "0.1", 60, 60]]');
    -- Calls to and from hosted and third-party endpoints: free, as the reference's zero rates.
    FOREACH sub IN ARRAY ARRAY['conference', 'conference_playback', 'conference_v2', 'flexml', 'mediator',
                               'peering_receiver', 'peering_sender', 'third_party', 'voicemail'] LOOP
        FOREACH dir IN ARRAY ARRAY['inbound', 'outbound'] LOOP
            PERFORM carrierx_seed_plan('carrierx_core_voip_' || sub || '_' || dir, dir, 'voip:' || sub,
                                       '[[null, null, "0", 60, 60]]');
        END LOOP;
    END LOOP;
    -- Messages, a segment: by the kind of the other party's number (the reference's samples
    -- price an outbound SMS at 0.01 and an MMS at 0.07).
    FOREACH sub IN ARRAY ARRAY['short_code', 'toll', 'toll_free'] LOOP
        PERFORM carrierx_seed_plan('carrierx_core_sms_' || sub || '_inbound', 'inbound', 'sms:' || sub,
                                   '[[null, null, "0.005", 0, 0]]');
        PERFORM carrierx_seed_plan('carrierx_core_sms_' || sub || '_outbound', 'outbound', 'sms:' || sub,
                                   '[[null, null, "0.01", 0, 0]]');
        PERFORM carrierx_seed_plan('carrierx_core_mms_' || sub || '_inbound', 'inbound', 'mms:' || sub,
                                   '[[null, null, "0.02", 0, 0]]');
        PERFORM carrierx_seed_plan('carrierx_core_mms_' || sub || '_outbound', 'outbound', 'mms:' || sub,
                                   '[[null, null, "0.07", 0, 0]]');
    END LOOP;
    -- Phone number rental, a month.
    PERFORM carrierx_seed_plan('carrierx_core_did_rental', 'any', 'did', '[
        ["1", "USA", "1", 60, 60],
        [null, null, "3", 60, 60]]');
END;
$$;

SELECT carrierx_seed_default_rates();
