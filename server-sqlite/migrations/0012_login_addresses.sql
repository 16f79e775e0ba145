-- 0012: sign-in lockout per login and client address (issue 16). Append-only.

-- Failures are counted per (login, client address): one address that keeps typing
-- wrong passwords locks itself out of that login, not everyone else. Rows from
-- before this migration have no address ('') and age out of the window.
ALTER TABLE login_failures ADD COLUMN addr TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_login_addr_at ON login_failures(login, addr, at);
