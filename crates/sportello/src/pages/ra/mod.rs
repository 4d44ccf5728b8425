//! The registration authority's pages (Italian first). Every handler checks the role
//! (`Viewer::require_action`) and then the scope of the object on the server.

pub mod chamber;
pub mod checks;
pub mod documents;
pub mod manager;
pub mod operators;
pub mod recall;
pub mod staff_sheets;

pub(crate) use sportello_core::display::date as it_date;
