-- Add field rating to migt.MigArticle
-- Create constraint migt_article_rating_check on model migt.MigArticle
-- Create index migt_article_rating_desc_idx on -rating of model migt.MigArticle
-- +goose Up
ALTER TABLE "migt_article" ADD COLUMN "rating" integer DEFAULT 5 NOT NULL;
PRAGMA defer_foreign_keys = ON;
CREATE TABLE "new__migt_article" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "title" varchar(200) NOT NULL,
    "subtitle" varchar(200) NULL,
    "body" text NOT NULL,
    "score" text NOT NULL,
    "author_id" integer NOT NULL REFERENCES "migt_migauthor" ("id") DEFERRABLE INITIALLY DEFERRED,
    "rating" integer NOT NULL,
    CONSTRAINT "migt_article_title_author" UNIQUE ("title", "author_id"),
    CONSTRAINT "migt_article_score_positive" CHECK (CAST("score" AS REAL) >= CAST('0.00' AS REAL)),
    CONSTRAINT "migt_article_rating_check" CHECK ("rating" >= 0)
);
CREATE TABLE "old__migt_article" AS SELECT * FROM "migt_article";
DROP TABLE "migt_article";
ALTER TABLE "new__migt_article" RENAME TO "migt_article";
INSERT INTO "migt_article" ("id", "title", "subtitle", "body", "score", "author_id", "rating") SELECT "id", "title", "subtitle", "body", "score", "author_id", "rating" FROM "old__migt_article";
DROP TABLE "old__migt_article";
CREATE INDEX "migt_article_title_idx" ON "migt_article" ("title");
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");
CREATE INDEX "migt_article_rating_desc_idx" ON "migt_article" ("rating" DESC);

-- +goose Down
DROP INDEX "migt_article_rating_desc_idx";
PRAGMA defer_foreign_keys = ON;
CREATE TABLE "new__migt_article" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "title" varchar(200) NOT NULL,
    "subtitle" varchar(200) NULL,
    "body" text NOT NULL,
    "score" text NOT NULL,
    "author_id" integer NOT NULL REFERENCES "migt_migauthor" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "migt_article_title_author" UNIQUE ("title", "author_id"),
    CONSTRAINT "migt_article_score_positive" CHECK (CAST("score" AS REAL) >= CAST('0.00' AS REAL))
);
CREATE TABLE "old__migt_article" AS SELECT * FROM "migt_article";
DROP TABLE "migt_article";
ALTER TABLE "new__migt_article" RENAME TO "migt_article";
INSERT INTO "migt_article" ("id", "title", "subtitle", "body", "score", "author_id") SELECT "id", "title", "subtitle", "body", "score", "author_id" FROM "old__migt_article";
DROP TABLE "old__migt_article";
CREATE INDEX "migt_article_title_idx" ON "migt_article" ("title");
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");
