-- Create model migt.MigAuthor
-- Create model migt.MigArticle
-- Create model migt.MigTag
-- Create model migt.MigArticle_tags
-- +goose Up
CREATE TABLE "migt_migauthor" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "name" varchar(100) NOT NULL
);
CREATE TABLE "migt_article" (
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
CREATE INDEX "migt_article_title_idx" ON "migt_article" ("title");
CREATE INDEX "migt_article_author_id_idx" ON "migt_article" ("author_id");
CREATE INDEX "migt_article_rating_desc_idx" ON "migt_article" ("rating" DESC);
CREATE TABLE "migt_tag" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "label" varchar(50) NOT NULL,
    CONSTRAINT "migt_tag_label_key" UNIQUE ("label")
);
CREATE TABLE "migt_article_tags" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "migarticle_id" integer NOT NULL REFERENCES "migt_article" ("id") DEFERRABLE INITIALLY DEFERRED,
    "migtag_id" integer NOT NULL REFERENCES "migt_tag" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "migt_article_tags_migarticle_id_migtag_id_uniq" UNIQUE ("migarticle_id", "migtag_id")
);
CREATE INDEX "migt_article_tags_migarticle_id_idx" ON "migt_article_tags" ("migarticle_id");
CREATE INDEX "migt_article_tags_migtag_id_idx" ON "migt_article_tags" ("migtag_id");

-- +goose Down
DROP TABLE "migt_article_tags";
DROP TABLE "migt_tag";
DROP TABLE "migt_article";
DROP TABLE "migt_migauthor";
