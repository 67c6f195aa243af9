//! The little XML the JUnit and Checkstyle formats need: escaping for attributes and text.

/// Escapes an attribute value (written between double quotes). Line breaks and tabs are written as character references (a
/// parser folds literal ones into spaces), and characters XML 1.0 cannot hold at all (other
/// control characters, U+FFFE, U+FFFF) become U+FFFD.
pub(crate) fn attr(text: &str) -> String {
    escape(text, true)
}

/// Escapes element content; line breaks and tabs stay literal.
pub(crate) fn text(text: &str) -> String {
    escape(text, false)
}

fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            '\n' | '\t' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_breaks_and_forbidden_characters() {
        assert_eq!(
            super::attr("a<b>&\"c\"'\r\n\t\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&quot;'&#13;&#10;&#9;\u{fffd}"
        );
        assert_eq!(
            super::text("a<b>&\"c\"'\r\n\t\u{1}"),
            "a&lt;b&gt;&amp;\"c\"'&#13;\n\t\u{fffd}"
        );
    }
}
