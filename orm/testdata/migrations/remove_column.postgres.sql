-- Remove field legacy from migt.MigArticle
-- +goose Up
ALTER TABLE "migt_article" DROP COLUMN "legacy";

-- +goose Down
ALTER TABLE "migt_article" ADD COLUMN "legacy" text DEFAULT '' NOT NULL;
ALTER TABLE "migt_article" ALTER COLUMN "legacy" DROP DEFAULT;
