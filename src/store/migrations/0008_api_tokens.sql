-- API bearer tokens. Only a SHA-256 of each token is stored: the token itself is shown once,
-- when it is created, and cannot be recovered from the database.
create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  role text not null check (role in ('viewer', 'operator', 'admin')),
  token_hash text not null unique,
  created_at timestamptz not null
);
