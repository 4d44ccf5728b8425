//! Delegations (issue 15, item 2): a person the Registry does not list as a company's legal
//! representative acts for the company on a delegation signed by one of its representatives.

pub mod signature;

pub use signature::{
    DelegationRefusal, MAX_DELEGATION_BYTES, RepresentativeSignature,
    check_representative_signature, company_chamber,
};
