//! Verification of CAdES and PAdES signatures.
