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

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn display(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Expand paths into files, sorted and deduplicated.
#[must_use]
pub fn discover(paths: &[PathBuf]) -> Vec<Target> {
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
                        if e.file_type().is_some_and(|t| t.is_file()) && is_manifest(e.path()) {
                            out.push(Target {
                                path: e.path().to_path_buf(),
                                display: display(e.path()),
                                error: None,
                            });
                        }
                    }
                    Err(err) => out.push(Target {
                        path: path.clone(),
                        display: display(path),
                        error: Some(format!("cannot walk: {err}")),
                    }),
                }
            }
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
