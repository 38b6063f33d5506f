-- LRN prefixes: the same object as routing prefixes (their own routes, `lrn_prefix_sid` on the
-- wire), kept in the same table by kind.
ALTER TABLE prefixes ADD COLUMN kind text NOT NULL DEFAULT 'routing' CHECK (kind IN ('routing', 'lrn'));
CREATE INDEX prefixes_kind_partner_idx ON prefixes (kind, partner_sid, id);
