-- Rename table for migt.MigArticle to migt_article
-- +goose Up
ALTER TABLE "migt_post" RENAME TO "migt_article";
ALTER TABLE "migt_article" RENAME CONSTRAINT "migt_post_author_id_fkey" TO "migt_article_author_id_fkey";

-- +goose Down
ALTER TABLE "migt_article" RENAME TO "migt_post";
ALTER TABLE "migt_post" RENAME CONSTRAINT "migt_article_author_id_fkey" TO "migt_post_author_id_fkey";
