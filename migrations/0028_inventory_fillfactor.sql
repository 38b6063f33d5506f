-- Numbers are rented, released, aged and edited in place: each is an UPDATE, and a page kept 10%
-- free takes a row's new version on the row's own page. New inventory then goes to pages with
-- room to spare (at the end of the table) instead of into the gap one rental left on each of
-- thousands of pages: every such page, first changed after a checkpoint, costs a whole page in
-- the WAL (bench/dids.sh, session 11).
ALTER TABLE dids SET (fillfactor = 90);
