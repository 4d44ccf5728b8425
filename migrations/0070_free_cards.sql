-- Free smart cards as the RA procedure means them (part 2, "dispositivi gratuiti").
--
-- The company's registration date (`data_iscrizione` of the Registry extract), as YYYY-MM-DD;
-- NULL when the extract did not carry it (older files): the company is then taken as
-- registered before any year the free-card rule looks at.
ALTER TABLE companies ADD COLUMN registered_on TEXT;

-- The "n" smart cards without charge a full-service ODR may hold at once, set by the chamber.
ALTER TABLE dev_odr_profiles ADD COLUMN free_smart_cards BIGINT NOT NULL DEFAULT 0;
