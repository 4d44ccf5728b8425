-- RA procedure, part 1: the revocation notice goes "ai recapiti di contatto indicati nel
-- Modulo di Accettazione"; the certified e-mail (PEC) address given there is the usual one.
ALTER TABLE ra_operators ADD COLUMN pec TEXT;
