-- Rename field headline on migt.MigArticle to title
-- Remove index migt_article_headline_idx from model migt.MigArticle
-- Create index migt_article_title_idx on title of model migt.MigArticle
-- +goose Up
ALTER TABLE "migt_article" RENAME COLUMN "headline" TO "title";
DROP INDEX "migt_article_headline_idx";
CREATE INDEX "migt_article_title_idx" ON "migt_article" ("title");

-- +goose Down
DROP INDEX "migt_article_title_idx";
CREATE INDEX "migt_article_headline_idx" ON "migt_article" ("title");
ALTER TABLE "migt_article" RENAME COLUMN "title" TO "headline";
