//! Registry of companies (Registro Imprese): companies, their sites (head office and local
//! units), tax codes, VAT numbers, REA numbers, annual fees, and the import of a registry
//! extract.
//!
//! Identifiers are parsed, not validated: [`TaxCode`], [`VatNumber`], [`Province`], [`Rea`],
//! [`Postcode`], [`SiteKind`] and [`CompanyStatus`] have private fields and a fallible
//! constructor, so an invalid value cannot exist. Each rule cites its source.

mod company_status;
mod import;
mod postcode;
mod province;
mod rea;
mod site_key;
mod site_kind;
mod store;
mod tax_code;
mod vat_number;

pub use company_status::{CompanyStatus, CompanyStatusError};
pub use import::{ImportError, ImportOptions, ImportOutcome, Rejection, Scan, import_csv, scan};
pub use postcode::{Postcode, PostcodeError};
pub use province::{Province, ProvinceEntry, ProvinceError};
pub use rea::{Rea, ReaError};
pub use site_key::site_key;
pub use site_kind::{SiteKind, SiteKindError};
pub use store::{
    Company, CompanyData, Site, SiteData, Upserted, Written, annual_fee_years, companies_by_id,
    company_and_site, company_sites, find_company_by_tax_code, find_sites_by_rea, get_company,
    get_site, replace_annual_fee_years, upsert_company, upsert_site,
};
pub use tax_code::{Gender, TaxCode, TaxCodeError, TaxCodeKind};
pub use vat_number::{VatNumber, VatNumberError};
