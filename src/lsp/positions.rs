//! Positions: byte offsets as UTF-8 or UTF-16 line and character, and file URIs.

use super::*;

/// The negotiated position encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Encoding {
    Utf8,
    Utf16,
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl Encoding {
    pub(super) fn position(self, text: &str, index: &LineIndex, offset: u32) -> Position {
        match self {
            Self::Utf16 => {
                let (line, character) = index.utf16_position(text, offset);
                Position { line, character }
            }
            Self::Utf8 => {
                let offset = floor_boundary(text, offset as usize);
                let line = index.line_of(u32::try_from(offset).unwrap_or(u32::MAX));
                let start = index.line_start(line) as usize;
                Position {
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    character: u32::try_from(offset.saturating_sub(start)).unwrap_or(u32::MAX),
                }
            }
        }
    }

    /// The byte offset of a position; positions past a line's end clamp to it.
    pub(super) fn offset(self, text: &str, index: &LineIndex, position: Position) -> usize {
        match self {
            Self::Utf16 => index.offset_of_utf16(text, position.line, position.character),
            Self::Utf8 => {
                let line = position.line as usize;
                if line >= index.line_count() {
                    return text.len();
                }
                let start = index.line_start(line) as usize;
                let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                floor_boundary(text, (start + position.character as usize).min(end))
            }
        }
    }

    pub(super) fn range(self, text: &str, index: &LineIndex, span: Span) -> Range {
        Range {
            start: self.position(text, index, span.start),
            end: self.position(text, index, span.end),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// URIs.

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The local path of a `file:` URI.
#[must_use]
pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri
        .strip_prefix("file://")
        .or_else(|| uri.strip_prefix("FILE://"))?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = percent_decode(rest)?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        let text = String::from_utf8(bytes).ok()?;
        let text = match text.as_bytes() {
            [b'/', drive, b':', ..] if drive.is_ascii_alphabetic() => text[1..].to_string(),
            _ => text,
        };
        Some(PathBuf::from(text))
    }
}

/// The `file:` URI of a path (made absolute against the working directory).
#[must_use]
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

pub(super) fn is_config_file(path: Option<&Path>) -> bool {
    path.and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONFIG_NAMES.contains(&n))
}
