-- +goose Up
CREATE TABLE post (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL REFERENCES author (id),
    title TEXT NOT NULL,
    rating INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX post_rating_idx ON post (rating);
-- A trigger body holds semicolons, so goose must take it as one statement.
-- +goose StatementBegin
CREATE TRIGGER post_rating_clamp AFTER INSERT ON post
WHEN NEW.rating > 5
BEGIN
    UPDATE post SET rating = 5 WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER post_rating_clamp;
DROP TABLE post;
