//! Analyses computed from the heap model.
pub mod diff;
pub mod dominators;
pub mod finalizers;
pub mod graph;
pub mod groups;
pub mod histogram;
pub mod paths;
pub mod patterns;
pub mod semi_nca;
pub mod sets;
pub mod suspects;
pub mod threads;
pub mod waste;
