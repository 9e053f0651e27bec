-- Searching conversations by the words of their messages: a GIN index over the words of the
-- messages' text, folded to lower case without accents (so "nao" finds "Não"), the same
-- folding SQLite's unicode61 tokenizer applies. Both functions are immutable: the index is
-- built from the first and the queries compare against it with the second.
CREATE FUNCTION message_words(body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple'::regconfig, translate(coalesce(body, ''),
        'ÁÀÂÃÄÅÉÈÊËÍÌÎÏÓÒÔÕÖÚÙÛÜÇÑÝáàâãäåéèêëíìîïóòôõöúùûüçñýÿ',
        'aaaaaaeeeeiiiiooooouuuucnyaaaaaaeeeeiiiiooooouuuucnyy'))
$$;

CREATE FUNCTION message_words_query(words text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT plainto_tsquery('simple'::regconfig, translate(words,
        'ÁÀÂÃÄÅÉÈÊËÍÌÎÏÓÒÔÕÖÚÙÛÜÇÑÝáàâãäåéèêëíìîïóòôõöúùûüçñýÿ',
        'aaaaaaeeeeiiiiooooouuuucnyaaaaaaeeeeiiiiooooouuuucnyy'))
$$;

-- The words are stored beside the text (computed by the database on every write), so that
-- checking a row against a search costs a comparison, not re-reading its text into words.
ALTER TABLE messages ADD COLUMN words tsvector GENERATED ALWAYS AS (message_words(text)) STORED;
CREATE INDEX messages_words_idx ON messages USING gin (words);
