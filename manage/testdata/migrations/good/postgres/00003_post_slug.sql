-- +goose Up
ALTER TABLE post ADD COLUMN slug text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE post DROP COLUMN slug;
