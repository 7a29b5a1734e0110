-- Alter field title on migt.MigArticle
-- Alter field score on migt.MigArticle
-- Alter field label on migt.MigTag
-- +goose Up
PRAGMA defer_foreign_keys = ON;
CREATE TABLE "new__migt_article" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "title" varchar(200) NOT NULL,
    "subtitle" varchar(200) NULL,
    "body" text NOT NULL,
    "rating" integer NOT NULL,
    "score" text NOT NULL,
    "author_id" integer NOT NULL REFERENCES "migt_migauthor" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "migt_article_rating_check" CHECK ("rating" >= 0),
    CONSTRAINT "migt_article_title_author" UNIQUE ("title", "author_id"),
    CONSTRAINT "migt_article_score_positive" CHECK (CAST("score" AS REAL) >= CAST('0.00' AS REAL))
);
CREATE TABLE "old__migt_article" AS SELECT * FROM "migt_article";
DROP TABLE "migt_article";
ALTER TABLE "new__migt_article" RENAME TO "migt_article";
INSERT INTO "migt_article" ("id", "title", "subtitle", "body", "rating", "score", "author_id") SELECT "id", COALESCE("title", 'untitled'), "subtitle", "body", "rating", "score", "author_id" FROM "old__migt_article";
DROP TABLE "old__migt_article";
CREATE INDEX "migt_article_title_idx" ON "migt_article" ("title");
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");
CREATE INDEX "migt_article_rating_desc_idx" ON "migt_article" ("rating" DESC);
PRAGMA defer_foreign_keys = ON;
CREATE TABLE "new__migt_tag" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "label" varchar(50) NOT NULL,
    CONSTRAINT "migt_tag_label_key" UNIQUE ("label")
);
CREATE TABLE "old__migt_tag" AS SELECT * FROM "migt_tag";
DROP TABLE "migt_tag";
ALTER TABLE "new__migt_tag" RENAME TO "migt_tag";
INSERT INTO "migt_tag" ("id", "label") SELECT "id", "label" FROM "old__migt_tag";
DROP TABLE "old__migt_tag";

-- +goose Down
PRAGMA defer_foreign_keys = ON;
CREATE TABLE "new__migt_tag" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "label" varchar(50) NOT NULL
);
CREATE TABLE "old__migt_tag" AS SELECT * FROM "migt_tag";
DROP TABLE "migt_tag";
ALTER TABLE "new__migt_tag" RENAME TO "migt_tag";
INSERT INTO "migt_tag" ("id", "label") SELECT "id", "label" FROM "old__migt_tag";
DROP TABLE "old__migt_tag";
PRAGMA defer_foreign_keys = ON;
CREATE TABLE "new__migt_article" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "title" varchar(100) NULL,
    "subtitle" varchar(200) NULL,
    "body" text NOT NULL,
    "rating" integer NOT NULL,
    "score" text NOT NULL,
    "author_id" integer NOT NULL REFERENCES "migt_migauthor" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "migt_article_rating_check" CHECK ("rating" >= 0),
    CONSTRAINT "migt_article_title_author" UNIQUE ("title", "author_id"),
    CONSTRAINT "migt_article_score_positive" CHECK (CAST("score" AS REAL) >= CAST('0.00' AS REAL))
);
CREATE TABLE "old__migt_article" AS SELECT * FROM "migt_article";
DROP TABLE "migt_article";
ALTER TABLE "new__migt_article" RENAME TO "migt_article";
INSERT INTO "migt_article" ("id", "title", "subtitle", "body", "rating", "score", "author_id") SELECT "id", "title", "subtitle", "body", "rating", "score", "author_id" FROM "old__migt_article";
DROP TABLE "old__migt_article";
CREATE INDEX "migt_article_title_idx" ON "migt_article" ("title");
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");
CREATE INDEX "migt_article_rating_desc_idx" ON "migt_article" ("rating" DESC);
