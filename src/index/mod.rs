//! The index file: the whole model of a dump (its arrays, both dominator
//! trees, the census, threads and finalizers) written once beside the dump
//! (`DUMP.hsidx`) or in the cache folder, and mapped read-only on the next
//! open so that nothing is parsed again.
//!
//! An index is data from disk and is checked like a dump: its header names
//! the format version, the dump's size, modification time and a hash of its
//! first and last MiB, and the options it was built with; every section has
//! a CRC-32 and every length is checked before use. A stale or damaged
//! index is never used. It is written to a temporary file that is renamed
//! into place when complete, so a killed build leaves none.

mod file;
mod model;

pub use file::{IndexStatus, Location, locate, status};
pub use model::{
    Answer, Early, Model, Origin, Reuse, build, delete, key, open, open_early, prepare_scratch,
    reopen_existing, write_after,
};
