//! Analyses computed from the heap model.
pub mod histogram;
