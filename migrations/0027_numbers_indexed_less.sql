-- Adding numbers to the inventory wrote eight index entries a number; three of them served
-- nothing the others could not (a profile of `POST /admin/dids`, 10,000 numbers a request):
-- * the numbers compare byte by byte (collation "C", as digits sort anyway): one index on the
--   available numbers serves both their order and a `phonenumber like "1516%"` prefix, and the
--   `text_pattern_ops` copy of it goes;
-- * the trunk group and DID group indexes hold only the numbers that have one (every lookup by
--   them names one: a number of the inventory has neither, and adds no entry).
ALTER TABLE dids ALTER COLUMN phonenumber TYPE text COLLATE "C";
DROP INDEX dids_available_number_idx;
DROP INDEX dids_trunk_group_idx;
CREATE INDEX dids_trunk_group_idx ON dids (trunk_group_sid) WHERE trunk_group_sid IS NOT NULL;
DROP INDEX dids_did_group_idx;
CREATE INDEX dids_did_group_idx ON dids (did_group_sid) WHERE did_group_sid IS NOT NULL;
