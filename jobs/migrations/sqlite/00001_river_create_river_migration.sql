-- River's job queue, version 1 (github.com/riverqueue/river), written by jobs.Migrations.

-- +goose Up
-- +goose StatementBegin
CREATE TABLE river_migration (
    id integer PRIMARY KEY,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    version integer NOT NULL,
    CONSTRAINT version CHECK (version >= 1)
);

CREATE UNIQUE INDEX river_migration_version_idx ON river_migration (version);
INSERT INTO river_migration (version) VALUES (1);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DELETE FROM river_migration WHERE version = 1;
DROP TABLE river_migration;
-- +goose StatementEnd
