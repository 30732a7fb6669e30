-- LIME schema 7 (PostgreSQL): message search; the same rows as SQLite schema 8, with the tokens in a tsvector.
-- tokens = array_to_tsvector(LIME's tokens): lexemes exactly as LIME's tokeniser (Search/Tokenizer.cs) cut them, no
-- text search configuration or parser in between, so both backends index the same tokens; queries are tsquery of
-- quoted lexemes ('회의' & 'meet':*), prefix matches included. GIN index over them (docs/operations.md, Search).
CREATE TABLE search_docs (
    room_id    bigint   NOT NULL,
    seq        bigint   NOT NULL,
    event_id   bigint   NOT NULL,  -- the message's Snowflake id: newest-first order and the cursor
    sender_id  bigint   NOT NULL,
    created_at bigint   NOT NULL,
    version    bigint   NOT NULL,  -- seq of the newest event that set this state: an older state never replaces it
    deleted    boolean  NOT NULL DEFAULT false,
    tokens     tsvector NOT NULL,
    PRIMARY KEY (room_id, seq)
);
CREATE INDEX search_docs_tokens ON search_docs USING gin (tokens);
CREATE INDEX search_docs_by_event ON search_docs (event_id);
