//! The findings of one file ([`FileReport`]): the text they point into, what the file held
//! ([`Stats`]) and the DaemonSets linted in it. The run-level checks and the policy loader
//! produce them too, so they live below every stage.

use crate::diagnostic::{Diagnostic, ObjectRef};
use crate::source::SourceFile;

/// Counts of what a file held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub files: usize,
    pub documents: usize,
    /// Kubernetes objects other than DaemonSets (skipped).
    pub other_objects: usize,
    pub daemonsets: usize,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, rhs: Self) {
        self.files += rhs.files;
        self.documents += rhs.documents;
        self.other_objects += rhs.other_objects;
        self.daemonsets += rhs.daemonsets;
    }
}

/// The findings of one file, with the text they point into.
#[derive(Debug)]
pub struct FileReport {
    pub source: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    pub stats: Stats,
    /// Every DaemonSet linted in the file, in file order, with or without findings (reports
    /// that list what passed, such as JUnit, need them).
    pub daemonsets: Vec<LintedObject>,
    /// The file could not be read, or a policy file is broken (exit code 2).
    pub io_error: bool,
    /// Where the file was read from (`None` for stdin and in-memory sources).
    pub path: Option<std::path::PathBuf>,
}

/// An object that was linted and the 0-based index of the document holding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LintedObject {
    pub document: usize,
    pub object: ObjectRef,
}

impl FileReport {
    /// The report of one file with no finding yet (counted as one file).
    #[must_use]
    pub fn new(source: SourceFile) -> Self {
        Self {
            source,
            diagnostics: Vec::new(),
            stats: Stats {
                files: 1,
                ..Stats::default()
            },
            daemonsets: Vec::new(),
            io_error: false,
            path: None,
        }
    }

    /// The report of a file that holds only `diagnostic` (it could not be read or decoded).
    #[must_use]
    pub fn failed(source: SourceFile, diagnostic: Diagnostic, io_error: bool) -> Self {
        Self {
            diagnostics: vec![diagnostic],
            io_error,
            ..Self::new(source)
        }
    }

    /// Findings only, about a file counted elsewhere (run-level findings, configuration
    /// errors): its stats are zero.
    #[must_use]
    pub fn findings(source: SourceFile, diagnostics: Vec<Diagnostic>) -> Self {
        Self {
            diagnostics,
            stats: Stats::default(),
            ..Self::new(source)
        }
    }

    /// With the path the file was read from.
    #[must_use]
    pub fn at(mut self, path: Option<std::path::PathBuf>) -> Self {
        self.path = path;
        self
    }
}
