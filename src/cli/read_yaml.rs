//! The hidden `daemonlint read-yaml`: documents as the JSON daemonlint reads.

use std::io::{self, Write};
use std::path::PathBuf;

/// The hidden `read-yaml` command: every document of each file as one JSON line,
/// `{"file": F, "document": N, "line": L, "json": ...}` or `{..., "error": "..."}`.
pub(super) fn read_yaml(
    paths: &[PathBuf],
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<i32> {
    let mut code = 0;
    for path in paths {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                writeln!(stderr, "daemonlint: {}: {e}", path.display())?;
                code = 2;
                continue;
            }
        };
        let index = crate::source::LineIndex::new(&text);
        let limits = crate::yaml::Limits::default();
        for doc in crate::yaml::documents(&text, limits) {
            let (document, span, value) = match &doc {
                Ok(doc) => {
                    let value = match doc.root() {
                        None => Ok(serde_json::Value::Null),
                        Some(root) => crate::yaml::json::to_json(root, limits.max_expanded_nodes)
                            .map_err(|_| "alias expansion limit".to_string()),
                    };
                    (doc.index, doc.span, value)
                }
                Err(e) => (e.document, e.span, Err(e.message.clone())),
            };
            let line = index.line_col(&text, span.start).line;
            let record = match value {
                Ok(json) => serde_json::json!({
                    "file": path, "document": document, "line": line, "json": json
                }),
                Err(error) => serde_json::json!({
                    "file": path, "document": document, "line": line, "error": error
                }),
            };
            writeln!(stdout, "{record}")?;
        }
    }
    Ok(code)
}
