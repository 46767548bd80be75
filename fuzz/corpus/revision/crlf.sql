-- revision: abc
-- revises: 
-- message: x

-- migrate:up
SELECT 1;
-- migrate:down
