-- Add field rating to migt.MigArticle
-- Create constraint migt_article_rating_check on model migt.MigArticle
-- Create index migt_article_rating_desc_idx on -rating of model migt.MigArticle
-- +goose Up
ALTER TABLE "migt_article" ADD COLUMN "rating" integer DEFAULT 5 NOT NULL;
ALTER TABLE "migt_article" ALTER COLUMN "rating" DROP DEFAULT;
ALTER TABLE "migt_article" ADD CONSTRAINT "migt_article_rating_check" CHECK ("rating" >= 0);
CREATE INDEX "migt_article_rating_desc_idx" ON "migt_article" ("rating" DESC);

-- +goose Down
DROP INDEX "migt_article_rating_desc_idx";
ALTER TABLE "migt_article" DROP CONSTRAINT "migt_article_rating_check";
ALTER TABLE "migt_article" DROP COLUMN "rating";
