//! The committed rule pages, embedded at build time (see `build.rs`).

include!(concat!(env!("OUT_DIR"), "/rule_pages.rs"));

/// The page of a rule, front matter included.
#[must_use]
pub fn page(id: &str) -> Option<&'static str> {
    PAGES
        .iter()
        .find(|(page_id, _)| *page_id == id)
        .map(|(_, text)| *text)
}

/// The page without its front matter, for display.
#[must_use]
pub fn body(id: &str) -> Option<&'static str> {
    let text = page(id)?;
    let Some(rest) = text.strip_prefix("---\n") else {
        return Some(text);
    };
    Some(
        rest.find("\n---\n")
            .map_or(text, |end| rest[end + 5..].trim_start_matches('\n')),
    )
}

/// The text of a `## <heading>` section of a rule's page, trimmed (without the heading).
#[must_use]
pub fn section(id: &str, heading: &str) -> Option<&'static str> {
    let text = body(id)?;
    let marker = format!("## {heading}\n");
    let start = if text.starts_with(&marker) {
        marker.len()
    } else {
        text.find(&format!("\n{marker}"))? + marker.len() + 1
    };
    let rest = &text[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    Some(rest[..end].trim())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sections_stop_at_the_next_heading() {
        let what = super::section("privileged-container", "What it does").unwrap_or_default();
        assert!(
            what.starts_with("Reports `securityContext.privileged: true`"),
            "{what}"
        );
        assert!(what.ends_with("does not."), "{what}");
        assert_eq!(
            super::section("privileged-container", "No such heading"),
            None
        );
        assert_eq!(super::section("no-such-rule", "What it does"), None);
    }
}
