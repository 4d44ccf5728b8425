//! Delegations (issue 15, item 2): a person the Registry does not list as a company's legal
//! representative acts for the company on a delegation signed by one of its representatives,
//! once the office of the company's chamber approves it.

pub mod request;
pub mod signature;

pub use request::{
    DecideError, Decided, DelegationRequest, RequestState, SubmitError, approve, reject, submit,
};
pub use signature::{
    DelegationRefusal, MAX_DELEGATION_BYTES, RepresentativeSignature,
    check_representative_signature, company_chamber,
};
