-- Message content is stored as the JSON text it was published as: `json` keeps every JSON string,
-- including U+0000 and unpaired surrogates (\u0000, \ud800), which `jsonb` refuses (22P05). Such a
-- message was accepted and delivered, then failed its archive insert. Nothing queries inside content.
ALTER TABLE "ArchivedMessage" ALTER COLUMN "content" SET DATA TYPE JSON USING "content"::json;
