//! heapscope: a fast explorer for Java heap dumps (HPROF).
//!
//! Data flows one way:
//! - [`hprof`] reads the file format (header, records, heap sub-records);
//! - [`heap`] builds the heap model from a dump (objects, classes, sizes,
//!   references, roots, threads);
//! - [`analysis`] computes answers from the model (histogram, ...);
//! - [`report`] turns analyses into text and JSON for the command line.

pub mod analysis;
#[cfg(feature = "gui")]
pub mod app;
pub mod demo;
pub mod heap;
pub mod hprof;
pub mod index;
#[cfg(feature = "sql")]
pub mod mcp;
pub mod progress;
pub mod report;
#[cfg(feature = "sql")]
pub mod sql;
pub mod units;
