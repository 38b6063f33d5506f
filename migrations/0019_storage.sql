-- Storage: containers, files' metadata, and their bytes in chunks (every instance reads them; an
-- upload writes its chunks, its file and its container's usage in one transaction).
CREATE TABLE storage_containers (
    id                                  bigserial   NOT NULL UNIQUE,
    container_sid                       uuid        PRIMARY KEY,
    partner_sid                         uuid        NOT NULL REFERENCES partners (partner_sid),
    name                                text        NOT NULL DEFAULT 'N/A',
    allow_publish                       boolean     NOT NULL DEFAULT true,
    allowed_classifications             text[]      NOT NULL DEFAULT '{}',
    blocked_classifications             text[]      NOT NULL DEFAULT '{}',
    default_file_lifecycle_action       text        NOT NULL DEFAULT 'no_action',
    default_file_lifecycle_ttl          integer     NOT NULL DEFAULT -1,
    default_file_publish                text        NOT NULL DEFAULT 'file_sid',
    default_file_threshold_include      boolean     NOT NULL DEFAULT true,
    default_file_unique                 boolean     NOT NULL DEFAULT false,
    integer_key_1                       bigint,
    integer_key_2                       bigint,
    parent_container_sid                uuid,
    publish_domain                      text        NOT NULL,
    quota_bytes                         bigint      NOT NULL DEFAULT 1073741824,
    quota_files                         bigint      NOT NULL DEFAULT 100,
    string_key_1                        text,
    string_key_2                        text,
    string_key_3                        text,
    string_key_4                        text,
    total_bytes                         bigint      NOT NULL DEFAULT 0,
    total_files                         bigint      NOT NULL DEFAULT 0,
    threshold_total_bytes               bigint      NOT NULL DEFAULT 0,
    threshold_total_files               bigint      NOT NULL DEFAULT 0,
    "unique"                            boolean     NOT NULL DEFAULT false,
    date_created                        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX storage_containers_partner_idx ON storage_containers (partner_sid, id);

CREATE TABLE storage_files (
    id                    bigserial   NOT NULL UNIQUE,
    file_sid              uuid        PRIMARY KEY,
    partner_sid           uuid        NOT NULL REFERENCES partners (partner_sid),
    container_sid         uuid        NOT NULL REFERENCES storage_containers (container_sid),
    name                  text        NOT NULL,
    content_classification text       NOT NULL,
    content_format        text,
    desired_bitrate       integer,
    desired_format        text,
    file_access_name      text        NOT NULL,
    file_bytes            bigint      NOT NULL,
    integer_key_1         bigint,
    integer_key_2         bigint,
    lifecycle_action      text        NOT NULL,
    lifecycle_ttl         integer     NOT NULL,
    mime_type             text        NOT NULL,
    parent_file_sid       uuid,
    publish               text        NOT NULL,
    string_key_1          text,
    string_key_2          text,
    string_key_3          text,
    string_key_4          text,
    threshold_include     boolean     NOT NULL,
    type                  text        NOT NULL DEFAULT 'file',
    "unique"              boolean     NOT NULL DEFAULT false,
    date_last_accessed    timestamptz,
    date_modified         timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    date_created          timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX storage_files_partner_idx ON storage_files (partner_sid, id);
CREATE INDEX storage_files_container_idx ON storage_files (container_sid, id);

-- A file's bytes, in order (an upload in progress writes them before its file row: a cut
-- upload rolls both back).
CREATE TABLE storage_chunks (
    file_sid  uuid    NOT NULL,
    seq       integer NOT NULL,
    data      bytea   NOT NULL,
    PRIMARY KEY (file_sid, seq)
);
-- The bytes are compressed data or media already, mostly: stored as they are.
ALTER TABLE storage_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
