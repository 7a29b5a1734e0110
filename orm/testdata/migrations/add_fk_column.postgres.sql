-- Add field author to migt.MigArticle
-- Create constraint migt_article_title_author on model migt.MigArticle
-- Create index migt_article_author_id_idx on author_id of model migt.MigArticle
-- +goose Up
ALTER TABLE "migt_article" ADD COLUMN "author_id" bigint DEFAULT 101 NOT NULL REFERENCES "migt_migauthor" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "migt_article" ALTER COLUMN "author_id" DROP DEFAULT;
ALTER TABLE "migt_article" ADD CONSTRAINT "migt_article_title_author" UNIQUE ("title", "author_id");
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");

-- +goose Down
DROP INDEX "migt_article_author_id_idx";
ALTER TABLE "migt_article" DROP CONSTRAINT "migt_article_title_author";
ALTER TABLE "migt_article" DROP COLUMN "author_id";
