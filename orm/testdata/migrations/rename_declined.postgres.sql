-- Remove index migt_article_headline_idx from model migt.MigArticle
-- Remove constraint migt_article_title_author from model migt.MigArticle
-- Remove field headline from migt.MigArticle
-- Add field title to migt.MigArticle
-- Create constraint migt_article_title_author on model migt.MigArticle
-- Create index migt_article_title_idx on title of model migt.MigArticle
-- +goose Up
DROP INDEX "migt_article_headline_idx";
ALTER TABLE "migt_article" DROP CONSTRAINT "migt_article_title_author";
ALTER TABLE "migt_article" DROP COLUMN "headline";
ALTER TABLE "migt_article" ADD COLUMN "title" varchar(200) DEFAULT 'untitled' NOT NULL;
ALTER TABLE "migt_article" ALTER COLUMN "title" DROP DEFAULT;
ALTER TABLE "migt_article" ADD CONSTRAINT "migt_article_title_author" UNIQUE ("title", "author_id");
CREATE INDEX "migt_article_title_idx" ON "migt_article" ("title");

-- +goose Down
DROP INDEX "migt_article_title_idx";
ALTER TABLE "migt_article" DROP CONSTRAINT "migt_article_title_author";
ALTER TABLE "migt_article" DROP COLUMN "title";
ALTER TABLE "migt_article" ADD COLUMN "headline" varchar(200) DEFAULT '' NOT NULL;
ALTER TABLE "migt_article" ALTER COLUMN "headline" DROP DEFAULT;
ALTER TABLE "migt_article" ADD CONSTRAINT "migt_article_title_author" UNIQUE ("headline", "author_id");
CREATE INDEX "migt_article_headline_idx" ON "migt_article" ("headline");
