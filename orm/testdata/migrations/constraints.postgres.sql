-- Remove constraint migt_article_body_uniq from model migt.MigArticle
-- Create constraint migt_article_title_author on model migt.MigArticle
-- Create constraint migt_article_score_positive on model migt.MigArticle
-- +goose Up
ALTER TABLE "migt_article" DROP CONSTRAINT "migt_article_body_uniq";
ALTER TABLE "migt_article" ADD CONSTRAINT "migt_article_title_author" UNIQUE ("title", "author_id");
ALTER TABLE "migt_article" ADD CONSTRAINT "migt_article_score_positive" CHECK ("score" >= 0);

-- +goose Down
ALTER TABLE "migt_article" DROP CONSTRAINT "migt_article_score_positive";
ALTER TABLE "migt_article" DROP CONSTRAINT "migt_article_title_author";
ALTER TABLE "migt_article" ADD CONSTRAINT "migt_article_body_uniq" UNIQUE ("body");
