-- Alter field author on migt.MigArticle
-- +goose Up

-- +goose Down
