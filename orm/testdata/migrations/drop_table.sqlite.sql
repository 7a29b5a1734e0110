-- Delete model migt.Legacy
-- +goose Up
DROP TABLE "migt_legacy";

-- +goose Down
CREATE TABLE "migt_legacy" (
    "id" integer PRIMARY KEY AUTOINCREMENT,
    "migarticle_id" integer NOT NULL REFERENCES "migt_article" ("id") DEFERRABLE INITIALLY DEFERRED,
    "migtag_id" integer NOT NULL REFERENCES "migt_tag" ("id") DEFERRABLE INITIALLY DEFERRED
);
