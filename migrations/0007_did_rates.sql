-- DID rental rates (`GET /phonenumber/rates`): an item of a plan assigned to type 'did' carries a
-- classification and up to seven tiers, price N once the partner holds quantity N numbers.
ALTER TABLE rate_plan_items
    ADD COLUMN classification_sid uuid,
    ADD COLUMN tier_quantities    integer[],
    ADD COLUMN tier_prices        numeric[];

-- A DID rental plan has no call direction: its assignments say 'any'.
ALTER TABLE rate_plan_assignments
    DROP CONSTRAINT rate_plan_assignments_direction_check,
    ADD CONSTRAINT rate_plan_assignments_direction_check CHECK (direction IN ('inbound', 'outbound', 'any'));
