-- Create model migt.MigTag
-- Create model migt.MigArticle_tags
-- +goose Up
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
