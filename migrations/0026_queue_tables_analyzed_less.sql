-- Messages and callbacks change thousands of rows a second under load, so autovacuum analyzed
-- them after every 2% of changes: while the tables are young that was an ANALYZE every second,
-- 13% of the machine's CPU under 2,000 messages a second (a profile of the SMS bench), most of it
-- pulling apart and sorting the sampled rows' bulky columns. Their plans do not need statistics
-- that fresh (every query of them goes through an index): analyzed after 10,000 changes and 10%,
-- and no statistics kept on the columns no index or plan uses (free text, JSON, arrays).
ALTER TABLE messages SET (autovacuum_analyze_scale_factor = 0.1, autovacuum_analyze_threshold = 10000);
ALTER TABLE callbacks SET (autovacuum_analyze_scale_factor = 0.1, autovacuum_analyze_threshold = 10000);
ALTER TABLE messages
    ALTER COLUMN message SET STATISTICS 0,
    ALTER COLUMN media_urls SET STATISTICS 0,
    ALTER COLUMN group_recipients SET STATISTICS 0,
    ALTER COLUMN number_group_dst SET STATISTICS 0,
    ALTER COLUMN user_data SET STATISTICS 0;
ALTER TABLE callbacks
    ALTER COLUMN body SET STATISTICS 0,
    ALTER COLUMN attempt_log SET STATISTICS 0,
    ALTER COLUMN url SET STATISTICS 0,
    ALTER COLUMN error SET STATISTICS 0;
