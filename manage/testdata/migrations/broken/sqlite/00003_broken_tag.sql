-- +goose Up
-- The first statement succeeds; the transaction must undo it when the second fails.
CREATE TABLE tag (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO no_such_table (id) VALUES (1);

-- +goose Down
DROP TABLE tag;
