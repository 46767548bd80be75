-- revision: 5e7c9a1d4b05
-- revises: 3c5a7e9b2f03, 4d6b8f0c3e04
-- message: Merge accounts and content
-- created: 2026-11-22T08:00:00Z

-- migrate:up


-- migrate:down
