//! Cutting a large text into ranges that each parse on their own, as in the whole.

use super::*;

/// Split a multi-document text into about `parts` ranges of similar size, each starting at a
/// line that starts with `---`: where kubectl cuts the stream, and where [`documents`] cuts it,
/// so each range parses on its own as it does in the whole.
#[must_use]
pub fn split_documents(text: &str, parts: usize) -> Vec<std::ops::Range<usize>> {
    let target = (text.len() / parts.max(1)).max(1);
    let bytes = text.as_bytes();
    let mut cuts = vec![0];
    let mut from = target;
    while from < bytes.len() {
        let Some(sep) = find_separator(text, from, false) else {
            break;
        };
        cuts.push(sep);
        from = sep + target;
    }
    let mut ranges: Vec<_> = cuts.windows(2).map(|w| w[0]..w[1]).collect();
    ranges.push(cuts.last().copied().unwrap_or(0)..text.len());
    ranges
}

#[cfg(test)]
mod split_tests {
    use super::*;

    #[test]
    fn split_parts_parse_like_the_whole() {
        let mut text = String::from("# header\n");
        for i in 0..50 {
            text.push_str(&format!(
                "---\na{i}: |\n  block {i}\n  --- not a marker inside a block\nb: [1, 2]\n"
            ));
        }
        let whole: Vec<String> = documents(&text, Limits::default())
            .map(|d| {
                d.map(|d| format!("{:?}", d.root().map(|r| r.span())))
                    .unwrap_or_default()
            })
            .collect();
        let ranges = split_documents(&text, 7);
        assert!(ranges.len() > 3, "{ranges:?}");
        let mut parts = Vec::new();
        for r in ranges {
            for d in documents_in(&text, r, Limits::default()) {
                parts.push(
                    d.map(|d| format!("{:?}", d.root().map(|r| r.span())))
                        .unwrap_or_default(),
                );
            }
        }
        assert_eq!(whole, parts);
    }
}
