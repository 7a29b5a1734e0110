-- Remove index migt_article_headline_idx from model migt.MigArticle
-- Remove constraint migt_article_title_author from model migt.MigArticle
-- Remove field headline from migt.MigArticle
-- Add field title to migt.MigArticle
-- Create constraint migt_article_title_author on model migt.MigArticle
-- Create index migt_article_title_idx on title of model migt.MigArticle
-- +goose Up
DROP INDEX "migt_article_headline_idx";
PRAGMA defer_foreign_keys = ON;
CREATE TABLE "new__migt_article" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "subtitle" varchar(200) NULL,
    "body" text NOT NULL,
    "rating" integer NOT NULL,
    "score" text NOT NULL,
    "author_id" integer NOT NULL REFERENCES "migt_migauthor" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "migt_article_rating_check" CHECK ("rating" >= 0),
    CONSTRAINT "migt_article_score_positive" CHECK (CAST("score" AS REAL) >= CAST('0.00' AS REAL))
);
CREATE TABLE "old__migt_article" AS SELECT * FROM "migt_article";
DROP TABLE "migt_article";
ALTER TABLE "new__migt_article" RENAME TO "migt_article";
INSERT INTO "migt_article" ("id", "subtitle", "body", "rating", "score", "author_id") SELECT "id", "subtitle", "body", "rating", "score", "author_id" FROM "old__migt_article";
DROP TABLE "old__migt_article";
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");
CREATE INDEX "migt_article_rating_desc_idx" ON "migt_article" ("rating" DESC);
ALTER TABLE "migt_article" ADD COLUMN "title" varchar(200) DEFAULT 'untitled' NOT NULL;
PRAGMA defer_foreign_keys = ON;
CREATE TABLE "new__migt_article" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "subtitle" varchar(200) NULL,
    "body" text NOT NULL,
    "rating" integer NOT NULL,
    "score" text NOT NULL,
    "author_id" integer NOT NULL REFERENCES "migt_migauthor" ("id") DEFERRABLE INITIALLY DEFERRED,
    "title" varchar(200) NOT NULL,
    CONSTRAINT "migt_article_rating_check" CHECK ("rating" >= 0),
    CONSTRAINT "migt_article_score_positive" CHECK (CAST("score" AS REAL) >= CAST('0.00' AS REAL)),
    CONSTRAINT "migt_article_title_author" UNIQUE ("title", "author_id")
);
CREATE TABLE "old__migt_article" AS SELECT * FROM "migt_article";
DROP TABLE "migt_article";
ALTER TABLE "new__migt_article" RENAME TO "migt_article";
INSERT INTO "migt_article" ("id", "subtitle", "body", "rating", "score", "author_id", "title") SELECT "id", "subtitle", "body", "rating", "score", "author_id", "title" FROM "old__migt_article";
DROP TABLE "old__migt_article";
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");
CREATE INDEX "migt_article_rating_desc_idx" ON "migt_article" ("rating" DESC);
CREATE INDEX "migt_article_title_idx" ON "migt_article" ("title");

-- +goose Down
DROP INDEX "migt_article_title_idx";
PRAGMA defer_foreign_keys = ON;
CREATE TABLE "new__migt_article" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "subtitle" varchar(200) NULL,
    "body" text NOT NULL,
    "rating" integer NOT NULL,
    "score" text NOT NULL,
    "author_id" integer NOT NULL REFERENCES "migt_migauthor" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "migt_article_rating_check" CHECK ("rating" >= 0),
    CONSTRAINT "migt_article_score_positive" CHECK (CAST("score" AS REAL) >= CAST('0.00' AS REAL))
);
CREATE TABLE "old__migt_article" AS SELECT * FROM "migt_article";
DROP TABLE "migt_article";
ALTER TABLE "new__migt_article" RENAME TO "migt_article";
INSERT INTO "migt_article" ("id", "subtitle", "body", "rating", "score", "author_id") SELECT "id", "subtitle", "body", "rating", "score", "author_id" FROM "old__migt_article";
DROP TABLE "old__migt_article";
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");
CREATE INDEX "migt_article_rating_desc_idx" ON "migt_article" ("rating" DESC);
ALTER TABLE "migt_article" ADD COLUMN "headline" varchar(200) DEFAULT '' NOT NULL;
PRAGMA defer_foreign_keys = ON;
CREATE TABLE "new__migt_article" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "headline" varchar(200) NOT NULL,
    "subtitle" varchar(200) NULL,
    "body" text NOT NULL,
    "rating" integer NOT NULL,
    "score" text NOT NULL,
    "author_id" integer NOT NULL REFERENCES "migt_migauthor" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "migt_article_rating_check" CHECK ("rating" >= 0),
    CONSTRAINT "migt_article_title_author" UNIQUE ("headline", "author_id"),
    CONSTRAINT "migt_article_score_positive" CHECK (CAST("score" AS REAL) >= CAST('0.00' AS REAL))
);
CREATE TABLE "old__migt_article" AS SELECT * FROM "migt_article";
DROP TABLE "migt_article";
ALTER TABLE "new__migt_article" RENAME TO "migt_article";
INSERT INTO "migt_article" ("id", "headline", "subtitle", "body", "rating", "score", "author_id") SELECT "id", "headline", "subtitle", "body", "rating", "score", "author_id" FROM "old__migt_article";
DROP TABLE "old__migt_article";
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");
CREATE INDEX "migt_article_rating_desc_idx" ON "migt_article" ("rating" DESC);
CREATE INDEX "migt_article_headline_idx" ON "migt_article" ("headline");
