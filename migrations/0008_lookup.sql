-- Phone number lookups (`GET /lookup/dids/{phonenumber}`): the LRN of ported numbers and the
-- caller names (CNAM) of numbers, filled through the admin routes (a local extension).
CREATE TABLE lookup_lrns (
    phonenumber  text        PRIMARY KEY,
    lrn          text        NOT NULL,
    date_changed timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE TABLE lookup_cnams (
    phonenumber  text        PRIMARY KEY,
    name         text        NOT NULL,
    type         text,
    date_changed timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
