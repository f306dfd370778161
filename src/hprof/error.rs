use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with a dump: which file, where in it, and what was expected.
#[derive(Debug)]
pub struct Error {
    pub path: Option<PathBuf>,
    /// Byte offset in the (decompressed) dump, when the problem has one.
    pub offset: Option<u64>,
    pub message: String,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            path: None,
            offset: None,
            message: message.into(),
        }
    }

    pub fn at(offset: u64, message: impl Into<String>) -> Self {
        Error {
            path: None,
            offset: Some(offset),
            message: message.into(),
        }
    }

    pub fn io(path: &Path, err: std::io::Error) -> Self {
        Error {
            path: Some(path.to_path_buf()),
            offset: None,
            message: err.to_string(),
        }
    }

    /// Names the file, unless a path is already set.
    pub fn in_file(mut self, path: &Path) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_path_buf());
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) if path.as_os_str() == "-" => f.write_str("stdin: ")?,
            Some(path) => write!(f, "{}: ", path.display())?,
            None => {}
        }
        if let Some(offset) = self.offset {
            write!(f, "at byte {offset}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<crate::progress::Cancelled> for Error {
    fn from(_: crate::progress::Cancelled) -> Self {
        Error::new("cancelled")
    }
}
