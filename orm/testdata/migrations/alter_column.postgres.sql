-- Alter field title on migt.MigArticle
-- Alter field score on migt.MigArticle
-- Alter field label on migt.MigTag
-- +goose Up
UPDATE "migt_article" SET "title" = 'untitled' WHERE "title" IS NULL;
ALTER TABLE "migt_article" ALTER COLUMN "title" TYPE varchar(200) USING "title"::varchar(200);
ALTER TABLE "migt_article" ALTER COLUMN "title" SET NOT NULL;
ALTER TABLE "migt_article" ALTER COLUMN "score" TYPE numeric(8, 2) USING "score"::numeric(8, 2);
ALTER TABLE "migt_tag" ADD CONSTRAINT "migt_tag_label_key" UNIQUE ("label");

-- +goose Down
ALTER TABLE "migt_tag" DROP CONSTRAINT "migt_tag_label_key";
ALTER TABLE "migt_article" ALTER COLUMN "score" TYPE numeric(6, 2) USING "score"::numeric(6, 2);
ALTER TABLE "migt_article" ALTER COLUMN "title" TYPE varchar(100) USING "title"::varchar(100);
ALTER TABLE "migt_article" ALTER COLUMN "title" DROP NOT NULL;
