-- Batch tasks: bulk changes of phone numbers and prefixes, reviewed before they run if asked,
-- run by the worker of any server instance (claimed with SKIP LOCKED, a lease renewed at each
-- chunk, taken over when it lapses).
CREATE TABLE batch_tasks (
    id              bigserial   NOT NULL UNIQUE,
    task_sid        uuid        PRIMARY KEY,
    partner_sid     uuid        NOT NULL REFERENCES partners (partner_sid),
    -- Created through /admin: the task sees every partner's objects, as the admin routes do.
    admin           boolean     NOT NULL DEFAULT false,
    type            text        NOT NULL CHECK (type IN ('phonenumber', 'prefix')),
    method          text        NOT NULL CHECK (method IN ('POST', 'PATCH', 'DELETE')),
    field           text,
    entries         jsonb,
    data            jsonb,
    -- The `filter` of a POST of phone numbers: which available numbers "first available" takes.
    rent_filter     text,
    review          boolean     NOT NULL DEFAULT false,
    status          text        NOT NULL DEFAULT 'created'
                    CHECK (status IN ('created', 'pending_review', 'approved', 'cancelled', 'queued', 'running', 'completed')),
    total           integer,
    processed       integer,
    success         integer,
    failure         integer,
    claimed_by      uuid,
    claimed_until   timestamptz,
    -- Worker rounds that failed on this task (it waits behind the others), and the last error.
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    date_created    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    date_modified   timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX batch_tasks_partner_idx ON batch_tasks (partner_sid, id);
-- What the workers look for.
CREATE INDEX batch_tasks_todo_idx ON batch_tasks (id) WHERE status IN ('created', 'approved', 'queued', 'running');

-- One row per entry (PATCH, DELETE) or data object (POST): its review and its outcome. An item
-- is marked done in the transaction that applies it, so a task resumed after a crash neither
-- loses nor repeats an entry.
CREATE TABLE batch_items (
    task_id         bigint      NOT NULL REFERENCES batch_tasks (id) ON DELETE CASCADE,
    idx             integer     NOT NULL,
    -- The entry (PATCH, DELETE) or the data object (POST).
    key             jsonb       NOT NULL,
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    error           jsonb,
    -- The review: what the item will change, in which object at which version (0: the review
    -- found that the entry fails; it is not applied).
    description     text,
    fields          jsonb,
    object_sid      uuid,
    version         integer,
    PRIMARY KEY (task_id, idx)
);
CREATE INDEX batch_items_pending_idx ON batch_items (task_id, idx) WHERE state = 'pending';
CREATE INDEX batch_items_failed_idx ON batch_items (task_id, idx) WHERE state = 'failed';

-- Versions of the objects a batch changes: a reviewed change applies only to the version reviewed.
-- Each real change adds one (an update that changes nothing keeps the version); it never goes back.
ALTER TABLE dids ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE prefixes ADD COLUMN version integer NOT NULL DEFAULT 1;

CREATE FUNCTION bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'version') IS DISTINCT FROM (to_jsonb(OLD) - 'version') THEN
        NEW.version := OLD.version + 1;
    ELSE
        NEW.version := OLD.version;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER dids_version BEFORE UPDATE ON dids FOR EACH ROW EXECUTE FUNCTION bump_version();
CREATE TRIGGER prefixes_version BEFORE UPDATE ON prefixes FOR EACH ROW EXECUTE FUNCTION bump_version();

-- "The first available number" (renting without a number, one by one or by the thousand in a
-- batch) walks the available numbers in order: a partial index keeps the rented ones out of the
-- walk (the unique index on all numbers made each rental skip every number rented before it).
CREATE INDEX dids_available_order_idx ON dids (phonenumber) WHERE status = 'available';
