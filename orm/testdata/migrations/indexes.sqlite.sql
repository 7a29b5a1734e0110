-- Remove index migt_article_body_score_idx from model migt.MigArticle
-- Create index migt_article_rating_desc_idx on -rating of model migt.MigArticle
-- +goose Up
DROP INDEX "migt_article_body_score_idx";
CREATE INDEX "migt_article_rating_desc_idx" ON "migt_article" ("rating" DESC);

-- +goose Down
DROP INDEX "migt_article_rating_desc_idx";
CREATE INDEX "migt_article_body_score_idx" ON "migt_article" ("body", "score" DESC);
