-- Keep memory embeddings inline in the table row instead of in TOAST.
--
-- A vector(768) is about 3 KB, over PostgreSQL's 2 KB TOAST threshold, and pgvector's
-- default storage (EXTERNAL) moves it out of line: an exact scan over a user's memories
-- (what recall does for users with up to MEMORY_EXACT_SCAN_MAX_ROWS of them) then
-- fetches every vector through the TOAST index, about four buffer reads per row. Stored
-- PLAIN, the row holds its vector (two rows to an 8 KB page) and the same scan reads
-- one page per two rows: half the latency in bench/ at 100,000 memories. A vector(768)
-- always fits a page, so PLAIN cannot fail here. Rows written before this migration
-- move inline when they are next rewritten (an update, or VACUUM FULL).
ALTER TABLE episodic_memories ALTER COLUMN embedding SET STORAGE PLAIN;
ALTER TABLE semantic_memories ALTER COLUMN embedding SET STORAGE PLAIN;
ALTER TABLE procedural_memories ALTER COLUMN embedding SET STORAGE PLAIN;
