//! Analyses computed from the heap model.
pub mod dominators;
pub mod finalizers;
pub mod graph;
pub mod histogram;
pub mod paths;
pub mod semi_nca;
