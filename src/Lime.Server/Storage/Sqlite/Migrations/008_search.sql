-- LIME schema 8 (SQLite): message search (docs/operations.md, Search).
-- Filled from the outbox (topic 'search', one entry per message, edit and delete for everyone) by the search indexer,
-- with the tokens of LIME's tokeniser (Search/Tokenizer.cs). The FTS5 table is contentless (the text stays in events
-- only) and uses the ascii tokenizer, which only splits the already-cut tokens at spaces: every non-ASCII character
-- is a token character there, and tokenchars keeps LIME's '@' (mentions), '^' (initials) and the username
-- punctuation.

-- One row per indexed message: the FTS rowid is the message's Snowflake id, so a MATCH walks newest first.
-- version = seq of the newest event that set the state indexed (the message, its latest edit or its delete): an older
-- state applied late (entries are handled in parallel) never replaces a newer one. A deleted message keeps its row
-- (deleted = 1, no FTS row) for that comparison.
CREATE TABLE search_docs (
    event_id   INTEGER PRIMARY KEY,
    room_id    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    sender_id  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (room_id, seq)
);

CREATE VIRTUAL TABLE search_fts USING fts5(tokens, content='', contentless_delete=1, tokenize="ascii tokenchars '@^_.-'");
