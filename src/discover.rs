//! File discovery: explicit files are always linted; directories are walked (respecting
//! `.gitignore`) for `*.yaml`, `*.yml` and `*.json`.

use std::path::{Path, PathBuf};

/// A file to lint, or a path that could not be walked.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: PathBuf,
    /// The name shown in messages.
    pub display: String,
    pub error: Option<String>,
}

fn display(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Expand paths into files, sorted and deduplicated. Directory walks take the files that the
/// applicable settings include and do not exclude; explicit files are always taken unless
/// `force_exclude` and excluded.
#[must_use]
pub fn discover(
    paths: &[PathBuf],
    source: &dyn crate::settings::SettingsSource,
    force_exclude: bool,
) -> Vec<Target> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let walker = ignore::WalkBuilder::new(path)
                .follow_links(true)
                .sort_by_file_name(std::cmp::Ord::cmp)
                .build();
            for entry in walker {
                match entry {
                    Ok(e) => {
                        if !e.file_type().is_some_and(|t| t.is_file()) {
                            continue;
                        }
                        let settings = source.for_path(Some(e.path()));
                        if settings.is_included(e.path()) && !settings.is_excluded(e.path()) {
                            out.push(Target {
                                path: e.path().to_path_buf(),
                                display: display(e.path()),
                                error: None,
                            });
                        }
                    }
                    Err(err) => {
                        let at = walk_error_path(&err).unwrap_or_else(|| path.clone());
                        out.push(Target {
                            display: display(&at),
                            path: at,
                            error: Some(format!("cannot read: {}", walk_error_message(&err))),
                        });
                    }
                }
            }
        } else if force_exclude && source.for_path(Some(path)).is_excluded(path) {
            continue;
        } else {
            out.push(Target {
                path: path.clone(),
                display: display(path),
                error: None,
            });
        }
    }
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out.dedup_by(|a, b| a.path == b.path && a.error.is_none() && b.error.is_none());
    out
}

fn walk_error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        _ => None,
    }
}

fn walk_error_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_error_message(err),
        ignore::Error::Loop { ancestor, child } => format!(
            "a symlink loop: {} points back to {}",
            display(child),
            display(ancestor)
        ),
        other => other.to_string(),
    }
}

/// Files a walk leaves to another input (a chart's files, the files a kustomization uses):
/// they are linted through their rendering, never as plain YAML.
#[derive(Clone, Debug, Default)]
pub struct Skip {
    /// Canonical paths of single files.
    pub files: std::collections::BTreeSet<PathBuf>,
    /// Canonical directories whose every file is skipped.
    pub dirs: Vec<PathBuf>,
}

impl Skip {
    /// Nothing is skipped (a run without charts or kustomizations).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.dirs.is_empty()
    }

    /// Whether `path` is left to another input.
    #[must_use]
    pub fn skips(&self, path: &Path) -> bool {
        if self.is_empty() {
            return false;
        }
        let Ok(path) = path.canonicalize() else {
            return false;
        };
        self.files.contains(&path) || self.dirs.iter().any(|d| path.starts_with(d))
    }
}
