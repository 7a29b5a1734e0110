-- Add field subtitle to migt.MigArticle
-- +goose Up
ALTER TABLE "migt_article" ADD COLUMN "subtitle" varchar(200) NULL;

-- +goose Down
ALTER TABLE "migt_article" DROP COLUMN "subtitle";
