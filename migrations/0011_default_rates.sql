-- The reference rates: what every partner reads (and is rated with) until an admin gives it, or
-- every partner, a plan of its own (POST /admin/calls/rates_plans and .../assignments). On the
-- real service every partner has rates; so does a fresh carrierx-core. Prices are in the README.
--
-- The plans are seeded by a function so that a reset (which empties the rate tables) seeds them
-- again; their secure IDs derive from their names, the same on every database. An assignment an
-- admin made is never replaced.
ALTER TABLE rate_plans ADD COLUMN builtin boolean NOT NULL DEFAULT false;

CREATE FUNCTION carrierx_seed_default_rates() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    sub text;
    dir text;
    plan uuid;
    name text;
BEGIN
    -- Calls to and from the PSTN.
    name := 'carrierx_core_pstn_inbound';
    plan := md5(name)::uuid;
    IF NOT EXISTS (SELECT 1 FROM rate_plans WHERE rates_plan_sid = plan) THEN
        INSERT INTO rate_plans (rates_plan_sid, name, effective_date, builtin) VALUES (plan, name, '2024-01-01', true);
        INSERT INTO rate_plan_items (rates_plan_sid, prefix, country_code, price, billing_increment, billing_minimum)
        VALUES (plan, NULL, NULL, 0.005, 60, 60),
               (plan, '1800', 'USA', 0.012, 60, 60), (plan, '1833', 'USA', 0.012, 60, 60),
               (plan, '1844', 'USA', 0.012, 60, 60), (plan, '1855', 'USA', 0.012, 60, 60),
               (plan, '1866', 'USA', 0.012, 60, 60), (plan, '1877', 'USA', 0.012, 60, 60),
               (plan, '1888', 'USA', 0.012, 60, 60);
    END IF;
    INSERT INTO rate_plan_assignments (partner_sid, direction, kind, rates_plan_sid)
    VALUES (NULL, 'inbound', 'pstn', plan) ON CONFLICT DO NOTHING;

    name := 'carrierx_core_pstn_outbound';
    plan := md5(name)::uuid;
    IF NOT EXISTS (SELECT 1 FROM rate_plans WHERE rates_plan_sid = plan) THEN
        INSERT INTO rate_plans (rates_plan_sid, name, effective_date, builtin) VALUES (plan, name, '2024-01-01', true);
        INSERT INTO rate_plan_items (rates_plan_sid, prefix, country_code, price, billing_increment, billing_minimum)
        VALUES (plan, '1', 'USA', 0.01, 6, 6),
               (plan, NULL, NULL, 0.1, 60, 60);
    END IF;
    INSERT INTO rate_plan_assignments (partner_sid, direction, kind, rates_plan_sid)
    VALUES (NULL, 'outbound', 'pstn', plan) ON CONFLICT DO NOTHING;

    -- Calls to and from hosted and third-party endpoints: free, as the reference's zero rates.
    FOREACH sub IN ARRAY ARRAY['conference', 'conference_playback', 'flexml', 'mediator', 'third_party', 'voicemail'] LOOP
        FOREACH dir IN ARRAY ARRAY['inbound', 'outbound'] LOOP
            name := 'carrierx_core_voip_' || sub || '_' || dir;
            plan := md5(name)::uuid;
            IF NOT EXISTS (SELECT 1 FROM rate_plans WHERE rates_plan_sid = plan) THEN
                INSERT INTO rate_plans (rates_plan_sid, name, effective_date, builtin) VALUES (plan, name, '2024-01-01', true);
                INSERT INTO rate_plan_items (rates_plan_sid, prefix, country_code, price, billing_increment, billing_minimum)
                VALUES (plan, NULL, NULL, 0, 60, 60);
            END IF;
            INSERT INTO rate_plan_assignments (partner_sid, direction, kind, rates_plan_sid)
            VALUES (NULL, dir, 'voip:' || sub, plan) ON CONFLICT DO NOTHING;
        END LOOP;
    END LOOP;

    -- Phone number rental, a month.
    name := 'carrierx_core_did_rental';
    plan := md5(name)::uuid;
    IF NOT EXISTS (SELECT 1 FROM rate_plans WHERE rates_plan_sid = plan) THEN
        INSERT INTO rate_plans (rates_plan_sid, name, effective_date, builtin) VALUES (plan, name, '2024-01-01', true);
        INSERT INTO rate_plan_items (rates_plan_sid, prefix, country_code, price, billing_increment, billing_minimum)
        VALUES (plan, '1', 'USA', 1, 60, 60),
               (plan, NULL, NULL, 3, 60, 60);
    END IF;
    INSERT INTO rate_plan_assignments (partner_sid, direction, kind, rates_plan_sid)
    VALUES (NULL, 'any', 'did', plan) ON CONFLICT DO NOTHING;
END;
$$;

SELECT carrierx_seed_default_rates();
