-- The User Service's accounts. Emails and usernames are stored normalised (lower case),
-- so the unique constraints are case-insensitive without the citext extension.
CREATE TABLE users.accounts (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    username      text NOT NULL,
    password_hash text NOT NULL,
    display_name  text NOT NULL,
    bio           text NOT NULL DEFAULT '',
    avatar_url    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_email_key UNIQUE (email),
    CONSTRAINT accounts_username_key UNIQUE (username)
);
