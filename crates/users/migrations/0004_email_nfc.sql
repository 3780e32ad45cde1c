-- Emails are now stored in Unicode NFC (with IDNA-mapped domains, done in the service), so
-- `josé@…` typed in NFC or NFD is one account. Bring stored addresses to NFC. Where the
-- old, unnormalised rule let two accounts register one address in both forms, only the
-- oldest account takes the normalised spelling; the other keeps its old spelling (and can
-- still sign in with its username) until an operator merges or renames it.
WITH candidates AS (
    SELECT DISTINCT ON (normalize(email, NFC)) id, normalize(email, NFC) AS normalized
    FROM users.accounts
    WHERE email IS NOT NFC NORMALIZED
    ORDER BY normalize(email, NFC), created_at, id
)
UPDATE users.accounts AS a
SET email = c.normalized
FROM candidates AS c
WHERE a.id = c.id
  AND NOT EXISTS (SELECT 1 FROM users.accounts AS b WHERE b.email = c.normalized);
