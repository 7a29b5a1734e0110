-- Rename field writer on migt.MigArticle to author
-- Remove index migt_article_writer_id_idx from model migt.MigArticle
-- Create index migt_article_author_id_idx on author_id of model migt.MigArticle
-- Rename field name on migt.MigTag to label
-- +goose Up
ALTER TABLE "migt_article" RENAME COLUMN "writer_id" TO "author_id";
DROP INDEX "migt_article_writer_id_idx";
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");
ALTER TABLE "migt_tag" RENAME COLUMN "name" TO "label";

-- +goose Down
ALTER TABLE "migt_tag" RENAME COLUMN "label" TO "name";
DROP INDEX "migt_article_author_id_idx";
CREATE INDEX "migt_article_writer_id_idx" ON "migt_article" ("author_id");
ALTER TABLE "migt_article" RENAME COLUMN "author_id" TO "writer_id";
