//! Registry import and lookups.
