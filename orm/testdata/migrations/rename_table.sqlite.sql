-- Rename table for migt.MigArticle to migt_article
-- +goose Up
ALTER TABLE "migt_post" RENAME TO "migt_article";

-- +goose Down
ALTER TABLE "migt_article" RENAME TO "migt_post";
