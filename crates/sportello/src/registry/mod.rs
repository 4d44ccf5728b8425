//! Registry of companies (Registro Imprese): companies, their sites, tax codes, REA numbers.
