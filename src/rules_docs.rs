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
