-- Failed-attempt throttles, in the database so that every instance behind the load balancer
-- shares them: login per account (keyed on the SHA-256 of the e-mail typed, whether an
-- account has it or not) and per client address; public certificate verification per client
-- address and certificate number, and per client address. One row per scope and subject,
-- counting the attempts of a fixed window that starts at window_start.

CREATE TABLE throttles (
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    window_start TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX throttles_window ON throttles (window_start);

-- A user's API tokens are listed on their account page and revoked together when the user
-- is disabled or changes password.
CREATE INDEX api_tokens_user ON api_tokens (user_id);
