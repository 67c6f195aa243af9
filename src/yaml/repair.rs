//! Text that go-yaml v2 (and so kubectl) reads but granit-parser refuses, made readable for
//! granit-parser without moving a byte.
//!
//! granit-parser follows YAML 1.2 where go-yaml v2 is lenient, and a few of those leniencies
//! are common in real manifests:
//! - a quoted scalar continued on lines at its key's indentation, less, or column 0 (every
//!   controller-gen CRD description), or on lines indented by tabs;
//! - a comment glued to the token before it: `a: "x"# c`, `b: [x, y]# c`, `c: |-# c`;
//! - `\'` in a double-quoted scalar (go-yaml v2 reads `'`).
//!
//! [`scan`] finds them in a document's text (a light scan of YAML's tokens: quotes, flow
//! brackets, comments and block scalars) and gives a copy of the same length that
//! granit-parser reads: the line breaks inside such a quoted scalar become spaces, a glued
//! comment becomes spaces (and is given back as a comment), `\'` becomes `\"`. Every span
//! stays byte-exact; the value of each quoted scalar changed so is decoded again from the
//! original text by [`decode_quoted`], with go-yaml's folding and escapes.

/// A repaired copy of a text and what was changed in it.
pub(super) struct Repair {
    /// The text with the same length, readable by granit-parser.
    pub text: String,
    /// Quoted scalars (offset of the opening quote, offset after the closing one) whose value
    /// must be decoded from the original text.
    pub scalars: Vec<(usize, usize)>,
    /// Glued comments (offset of `#`, end of its line) blanked in `text`.
    pub comments: Vec<(usize, usize)>,
}

/// What go-yaml v2 refuses that granit-parser reads, found by [`scan`]: offset, length and
/// message.
pub(super) type Problem = (usize, usize, &'static str);

const TAB_INDENT: &str = "Kubernetes rejects this file: go-yaml v2 refuses a tab in the \
                          indentation of a line, even of a blank one (\"found character that \
                          cannot start any token\"); delete the tab";
const TAB_ENTRY: &str = "Kubernetes rejects this file: go-yaml v2 refuses a tab after `-` or \
                         `?` (\"found character that cannot start any token\"); use a space";

/// The repairs `text` needs (`None` when it needs none), and what go-yaml v2 refuses in it.
pub(super) fn scan(text: &str) -> (Option<Repair>, Vec<Problem>) {
    let mut problems = Vec::new();
    let repair = scan_into(text, &mut problems);
    (repair, problems)
}

fn scan_into(text: &str, problems: &mut Vec<Problem>) -> Option<Repair> {
    let b = text.as_bytes();
    // Indentation of the last line with content.
    let mut last_indent = 0;
    let n = b.len();
    let mut out: Option<Vec<u8>> = None;
    let mut scalars = Vec::new();
    let mut comments = Vec::new();
    let mut flow = 0usize;
    // Inside a block scalar: its lines are those indented more than this.
    let mut block_parent: Option<usize> = None;
    let mut i = 0;
    while i < n {
        let line_start = i;
        let mut eol = memchr::memchr(b'\n', &b[i..]).map_or(n, |p| i + p);
        let indent = b[i..eol].iter().take_while(|&&c| c == b' ').count();
        let mut k = i + indent;
        while k < eol && matches!(b[k], b' ' | b'\t') {
            k += 1;
        }
        let blank = k == eol || (k + 1 == eol && b[k] == b'\r');
        if let Some(parent) = block_parent {
            if blank || indent > parent {
                i = eol + 1;
                continue;
            }
            block_parent = None;
        }
        if blank {
            // go-yaml v2 takes a tab at the start of a blank line in block context for a
            // token, or past a plain scalar's indentation for part of it.
            if let Some(tab) = b[line_start..eol].iter().position(|&c| c == b'\t') {
                if flow == 0 && tab <= last_indent {
                    problems.push((line_start + tab, 1, TAB_INDENT));
                }
            }
            i = eol + 1;
            continue;
        }
        last_indent = indent;
        if flow > 0 && k > line_start + indent {
            // Tabs in the indentation of a flow collection's continuation line.
            let buf = out.get_or_insert_with(|| b.to_vec());
            for c in &mut buf[line_start..k] {
                *c = b' ';
            }
        }
        // The column a quoted scalar's continuation lines must pass (the line's first token
        // after any `- `).
        let mut threshold = indent;
        let mut token_start = true;
        while k < eol {
            let c = b[k];
            let next = b.get(k + 1).copied();
            let ws_next = next.is_none_or(|x| matches!(x, b' ' | b'\t' | b'\r' | b'\n'));
            match c {
                b' ' | b'\t' | b'\r' => k += 1,
                b'#' if k == line_start || matches!(b[k - 1], b' ' | b'\t') => k = eol,
                b'"' | b'\'' if token_start => {
                    let Some(close) = quoted_end(b, k) else {
                        // Unterminated: granit-parser reports it.
                        return finish(out, text, scalars, comments);
                    };
                    let multi = memchr::memchr(b'\n', &b[k..close]).is_some();
                    let escaped_quote =
                        c == b'"' && b[k..close].windows(2).any(|w| w == b"\\'") && {
                            // Only a real `\'` escape (not `\\'`).
                            has_escaped_quote(&b[k + 1..close - 1])
                        };
                    let needs = multi && needs_joining(b, k, close, threshold, flow);
                    let key_like = {
                        let mut a = close;
                        while a < n && matches!(b[a], b' ' | b'\t') {
                            a += 1;
                        }
                        a < n && b[a] == b':'
                    };
                    if (needs && !key_like) || escaped_quote {
                        let buf = out.get_or_insert_with(|| b.to_vec());
                        if needs && !key_like {
                            for x in &mut buf[k..close] {
                                if matches!(*x, b'\n' | b'\r') {
                                    *x = b' ';
                                }
                            }
                        }
                        if escaped_quote {
                            let mut j = k + 1;
                            while j + 1 < close {
                                if buf[j] == b'\\' {
                                    if buf[j + 1] == b'\'' {
                                        buf[j + 1] = b'"';
                                    }
                                    j += 2;
                                } else {
                                    j += 1;
                                }
                            }
                        }
                        scalars.push((k, close));
                    }
                    k = close;
                    if multi {
                        eol = memchr::memchr(b'\n', &b[k..]).map_or(n, |p| k + p);
                    }
                    token_start = false;
                    glued(b, k, eol, &mut out, &mut comments);
                }
                b'[' | b'{' => {
                    flow += 1;
                    k += 1;
                    token_start = true;
                }
                b']' | b'}' if flow > 0 => {
                    flow -= 1;
                    k += 1;
                    token_start = false;
                    glued(b, k, eol, &mut out, &mut comments);
                }
                b',' if flow > 0 => {
                    k += 1;
                    token_start = true;
                }
                b'-' | b'?' if token_start && flow == 0 && ws_next => {
                    if next == Some(b'\t') {
                        problems.push((k + 1, 1, TAB_ENTRY));
                    }
                    k += 1;
                    while k < eol && b[k] == b' ' {
                        k += 1;
                    }
                    threshold = k - line_start;
                }
                b':' if ws_next || (flow > 0 && matches!(next, Some(b',' | b']' | b'}'))) => {
                    k += 1;
                    token_start = true;
                }
                b'|' | b'>' if token_start && flow == 0 => {
                    k += 1;
                    while k < eol && matches!(b[k], b'0'..=b'9' | b'+' | b'-') {
                        k += 1;
                    }
                    glued(b, k, eol, &mut out, &mut comments);
                    block_parent = Some(indent);
                    k = eol;
                }
                b'&' | b'!' if token_start => {
                    while k < eol && !matches!(b[k], b' ' | b'\t' | b'\r') {
                        k += 1;
                    }
                }
                _ => {
                    // A plain scalar (or an alias): up to `: `, ` #` or, in a flow
                    // collection, an indicator.
                    token_start = false;
                    k += 1;
                    while k < eol {
                        let c = b[k];
                        let after = b.get(k + 1).copied();
                        if c == b':'
                            && (after.is_none_or(|x| matches!(x, b' ' | b'\t' | b'\r' | b'\n'))
                                || (flow > 0 && matches!(after, Some(b',' | b']' | b'}'))))
                        {
                            break;
                        }
                        if c == b'#' && matches!(b[k - 1], b' ' | b'\t') {
                            break;
                        }
                        if flow > 0 && matches!(c, b',' | b'[' | b']' | b'{' | b'}') {
                            break;
                        }
                        k += 1;
                    }
                }
            }
        }
        i = eol + 1;
    }
    finish(out, text, scalars, comments)
}

fn finish(
    out: Option<Vec<u8>>,
    text: &str,
    scalars: Vec<(usize, usize)>,
    comments: Vec<(usize, usize)>,
) -> Option<Repair> {
    let out = out?;
    // Only ASCII bytes were replaced by ASCII bytes, at character boundaries.
    let text = String::from_utf8(out).unwrap_or_else(|_| text.to_string());
    Some(Repair {
        text,
        scalars,
        comments,
    })
}

/// A comment glued to the token that ends at `at`: blank it in the copy and keep it.
fn glued(
    b: &[u8],
    at: usize,
    eol: usize,
    out: &mut Option<Vec<u8>>,
    comments: &mut Vec<(usize, usize)>,
) {
    if at < eol && b[at] == b'#' {
        let end = if eol > at && b[eol - 1] == b'\r' {
            eol - 1
        } else {
            eol
        };
        let buf = out.get_or_insert_with(|| b.to_vec());
        for c in &mut buf[at..end] {
            *c = b' ';
        }
        comments.push((at, end));
    }
}

/// The offset after the quote that closes the quoted scalar opening at `open`.
fn quoted_end(b: &[u8], open: usize) -> Option<usize> {
    let quote = b[open];
    let mut j = open + 1;
    while j < b.len() {
        match b[j] {
            b'\\' if quote == b'"' => j += 2,
            c if c == quote => {
                if quote == b'\'' && b.get(j + 1) == Some(&b'\'') {
                    j += 2;
                } else {
                    return Some(j + 1);
                }
            }
            _ => j += 1,
        }
    }
    None
}

fn has_escaped_quote(body: &[u8]) -> bool {
    let mut j = 0;
    while j + 1 < body.len() {
        if body[j] == b'\\' {
            if body[j + 1] == b'\'' {
                return true;
            }
            j += 2;
        } else {
            j += 1;
        }
    }
    false
}

/// Whether a multi-line quoted scalar has a continuation line granit-parser refuses: one not
/// indented past `threshold` (in block context), or indented with a tab. A line at column 0
/// that starts with `...` or `---` is left alone: go-yaml refuses it too.
fn needs_joining(b: &[u8], open: usize, close: usize, threshold: usize, flow: usize) -> bool {
    let mut at = open;
    let mut needs = false;
    while let Some(p) = memchr::memchr(b'\n', &b[at..close]) {
        let start = at + p + 1;
        let spaces = b[start..close].iter().take_while(|&&c| c == b' ').count();
        let ws = b[start..close]
            .iter()
            .take_while(|&&c| matches!(c, b' ' | b'\t'))
            .count();
        let rest = &b[start + ws..close];
        let blank = rest.first().is_none_or(|&c| matches!(c, b'\r' | b'\n'));
        if b[start..].starts_with(b"...") || b[start..].starts_with(b"---") {
            return false;
        }
        if ws > spaces || (!blank && flow == 0 && spaces <= threshold) {
            needs = true;
        }
        at = start;
    }
    needs
}

/// The value of a quoted scalar (`raw` from its opening quote to its closing one) as go-yaml v2
/// reads it: line folding, `''` in single quotes, escapes in double quotes (`\'` included).
/// `None` for an escape go-yaml refuses.
pub(super) fn decode_quoted(raw: &str) -> Option<String> {
    let b = raw.as_bytes();
    let quote = *b.first()?;
    let body = raw.get(1..raw.len().checked_sub(1)?)?;
    let bytes = body.as_bytes();
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' if quote == b'\'' => {
                out.push('\'');
                i += 2;
            }
            b'\\' if quote == b'"' => {
                let next = *bytes.get(i + 1)?;
                if matches!(next, b'\n' | b'\r') {
                    // An escaped line break: the lines join without a space.
                    i += 1;
                    let (breaks, after) = breaks(bytes, i);
                    for _ in 1..breaks {
                        out.push('\n');
                    }
                    i = after;
                    continue;
                }
                let (ch, len) = super::fast::escape(&bytes[i + 1..])?;
                out.push(ch);
                i += 1 + len;
            }
            b' ' | b'\t' => {
                let run = bytes[i..]
                    .iter()
                    .take_while(|&&c| matches!(c, b' ' | b'\t'))
                    .count();
                // Blanks before a line break are dropped.
                if !matches!(bytes.get(i + run), Some(b'\n' | b'\r')) {
                    out.push_str(&body[i..i + run]);
                }
                i += run;
            }
            b'\n' | b'\r' => {
                let (breaks, after) = breaks(bytes, i);
                if breaks == 1 {
                    out.push(' ');
                } else {
                    for _ in 1..breaks {
                        out.push('\n');
                    }
                }
                i = after;
            }
            _ => {
                let len = body[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&body[i..i + len]);
                i += len;
            }
        }
    }
    Some(out)
}

/// From a line break at `at`: how many line breaks follow (blank lines between), and the
/// offset of the first byte after them and the next line's leading blanks.
fn breaks(b: &[u8], mut at: usize) -> (usize, usize) {
    let mut count = 0;
    loop {
        match b.get(at) {
            Some(b'\r') if b.get(at + 1) == Some(&b'\n') => at += 2,
            Some(b'\n' | b'\r') => at += 1,
            _ => break,
        }
        count += 1;
        while matches!(b.get(at), Some(b' ' | b'\t')) {
            at += 1;
        }
    }
    (count, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_go_yaml() {
        assert_eq!(decode_quoted("'a\n  b'").as_deref(), Some("a b"));
        assert_eq!(decode_quoted("'a  \n\n b'").as_deref(), Some("a\nb"));
        assert_eq!(decode_quoted("'it''s'").as_deref(), Some("it's"));
        assert_eq!(decode_quoted("\"a\\'b\"").as_deref(), Some("a'b"));
        assert_eq!(decode_quoted("\"a \\\n   b\"").as_deref(), Some("a b"));
        assert_eq!(decode_quoted("\"a\\\n\n b\"").as_deref(), Some("a\nb"));
        assert_eq!(decode_quoted("\"x\r\n\ty\"").as_deref(), Some("x y"));
        assert_eq!(decode_quoted("\"\\q\""), None);
    }

    #[test]
    fn repairs_keep_every_offset() {
        let text = "a:\n  b: 'one\n  two'\n  c: \"x\"# glued\n  d: [x, y]# too\n  e: |-# hdr\n    'not' \"quoted\n  f: \"\\'\"\n";
        let r = scan(text).0.expect("repairs");
        assert_eq!(r.text.len(), text.len());
        assert_eq!(r.scalars.len(), 2, "{:?}", r.scalars);
        assert_eq!(&text[r.scalars[0].0..r.scalars[0].1], "'one\n  two'");
        let comments: Vec<&str> = r.comments.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(comments, ["# glued", "# too", "# hdr"]);
        assert!(r.text.contains("'one   two'"));
        assert!(r.text.contains("f: \"\\\"\""));
        assert!(scan("a: 'one\n   two'\nb: \"x\" # c\n").0.is_none());
    }
}
