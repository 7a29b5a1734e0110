-- River's job queue, version 3 (github.com/riverqueue/river), written by jobs.Migrations.

-- +goose Up
-- +goose StatementBegin
--
-- Normally `river_job.tags` is set to `NOT NULL` with a `DEFAULT` here, but since
-- SQLite was added well after 003 came about, we push that to version 006 index.
--

SELECT 1;
INSERT INTO river_migration (version) VALUES (3);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DELETE FROM river_migration WHERE version = 3;
--
-- Normally `river_job.tags` is set back to nullable here, but since SQLite was
-- added well after 003 came about, we push that to version 006 index.
--

SELECT 1;
-- +goose StatementEnd
