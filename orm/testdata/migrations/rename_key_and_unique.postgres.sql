-- Rename field writer on migt.MigArticle to author
-- Remove index migt_article_writer_id_idx from model migt.MigArticle
-- Create index migt_article_author_id_idx on author_id of model migt.MigArticle
-- Rename field name on migt.MigTag to label
-- +goose Up
ALTER TABLE "migt_article" RENAME COLUMN "writer_id" TO "author_id";
ALTER TABLE "migt_article" RENAME CONSTRAINT "migt_article_writer_id_fkey" TO "migt_article_author_id_fkey";
DROP INDEX "migt_article_writer_id_idx";
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");
ALTER TABLE "migt_tag" RENAME COLUMN "name" TO "label";
ALTER TABLE "migt_tag" RENAME CONSTRAINT "migt_tag_name_key" TO "migt_tag_label_key";

-- +goose Down
ALTER TABLE "migt_tag" RENAME COLUMN "label" TO "name";
ALTER TABLE "migt_tag" RENAME CONSTRAINT "migt_tag_label_key" TO "migt_tag_name_key";
DROP INDEX "migt_article_author_id_idx";
CREATE INDEX "migt_article_writer_id_idx" ON "migt_article" ("author_id");
ALTER TABLE "migt_article" RENAME COLUMN "author_id" TO "writer_id";
ALTER TABLE "migt_article" RENAME CONSTRAINT "migt_article_author_id_fkey" TO "migt_article_writer_id_fkey";
