//! The registration authority's pages (Italian first). Every handler checks the role
//! (`Viewer::require_action`) and then the scope of the object on the server.

pub mod chamber;
pub mod checks;
pub mod operators;

/// A date as people read it in Italy.
pub(crate) fn it_date(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}
