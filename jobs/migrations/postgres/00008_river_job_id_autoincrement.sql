-- River's job queue, version 8 (github.com/riverqueue/river), written by jobs.Migrations.

-- +goose Up
-- +goose StatementBegin
-- No-op. Postgres sequences already prevent automatically generated job IDs
-- from being reused.
SELECT 1;
INSERT INTO river_migration (line, version) VALUES ('main', 8);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DELETE FROM river_migration WHERE line = 'main' AND version = 8;
-- No-op. Postgres sequences already prevent automatically generated job IDs
-- from being reused.
SELECT 1;
-- +goose StatementEnd
