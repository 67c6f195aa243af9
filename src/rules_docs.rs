//! The committed rule pages, embedded at build time (see `build.rs`), and the book's rule
//! reference generated from them and the registry.

use crate::rules::{all_meta, FixKind, RuleMeta};

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

/// Where links that leave the rule pages (to the schemas' or the policies' README) point.
const REPOSITORY_FILES: &str = "https://github.com/daemonlint/daemonlint/blob/main/";

/// The note that opens every generated page of the book.
const GENERATED: &str =
    "<!-- Generated from the rule registry and rules/<id>.md by `DAEMONLINT_BLESS=1 cargo test --test it registry::`; do not edit. -->\n";

fn fix_name(fix: FixKind) -> &'static str {
    match fix {
        FixKind::None => "",
        FixKind::Safe => "safe",
        FixKind::Unsafe => "unsafe",
    }
}

fn default_level(meta: &RuleMeta) -> String {
    if meta.default_enabled {
        meta.default_severity.to_string()
    } else {
        format!("{} (off by default)", meta.default_severity)
    }
}

/// The generated rule reference of the book (`docs/src/rules.md`), built from the registry: one
/// row per rule, linking to its page.
#[must_use]
pub fn reference_markdown() -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "{GENERATED}# Rules\n\n\
         Every rule daemonlint has, with its default severity. Rules *off by default* run only when \
         selected (`select`, `--select`, or a severity in the configuration). A rule's findings can \
         carry their own severity (a writable `sensitive-host-path` is an error, a read-only one a \
         warning); setting the rule's severity in the configuration overrides it. `daemonlint rules` \
         lists the same table, and `daemonlint rule <id>` prints a rule's page.\n\n\
         | id | severity | category | fix | summary |\n|---|---|---|---|---|\n"
    );
    for meta in all_meta() {
        let _ = writeln!(
            out,
            "| [`{id}`](rules/{id}.md) | {} | {} | {} | {} |",
            default_level(meta),
            meta.category.as_str(),
            fix_name(meta.fix),
            meta.summary,
            id = meta.id
        );
    }
    out
}

/// The generated page of one rule in the book (`docs/src/rules/<id>.md`): its registry entry and
/// its committed page (`rules/<id>.md`), with links out of the rule pages made absolute.
#[must_use]
pub fn book_page(meta: &RuleMeta) -> String {
    use std::fmt::Write as _;
    let mut out = format!("{GENERATED}# {}\n\n", meta.id);
    let _ = writeln!(
        out,
        "| severity | category | fix | since |\n|---|---|---|---|\n| {} | {} | {} | {} |\n\n{}.\n",
        default_level(meta),
        meta.category.as_str(),
        match fix_name(meta.fix) {
            "" => "none",
            name => name,
        },
        meta.since,
        meta.summary.trim_end_matches('.')
    );
    let body = body(meta.id).unwrap_or_default();
    let title = format!("# {}\n", meta.id);
    let body = body.strip_prefix(title.as_str()).unwrap_or(body);
    // A link into the book (`../docs/src/...`) stays in the book; any other link out of
    // `rules/` points at the file in the repository.
    let mut rest = body.trim_start_matches('\n');
    while let Some(at) = rest.find("](../") {
        out.push_str(&rest[..at + 2]);
        rest = &rest[at + 2..];
        if let Some(page) = rest.strip_prefix("../docs/src/") {
            out.push_str("../");
            rest = page;
        } else {
            out.push_str(REPOSITORY_FILES);
            rest = &rest[3..];
        }
    }
    out.push_str(rest);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Every generated page of the book, as (path relative to `docs/src`, text).
#[must_use]
pub fn book_pages() -> Vec<(String, String)> {
    let mut pages = vec![("rules.md".to_string(), reference_markdown())];
    pages.extend(all_meta().map(|meta| (format!("rules/{}.md", meta.id), book_page(meta))));
    pages
}

/// `SUMMARY.md` with the entries under its `- [Rules](rules.md)` line replaced by one entry per
/// rule, in registry order (the rest of the file is written by hand and kept as it is).
#[must_use]
pub fn book_summary(summary: &str) -> String {
    let mut out = String::with_capacity(summary.len());
    let mut lines = summary.lines().peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        if line.trim_start() == "- [Rules](rules.md)" {
            let indent = &line[..line.len() - line.trim_start().len()];
            while lines
                .peek()
                .is_some_and(|next| next.starts_with(&format!("{indent}  ")))
            {
                lines.next();
            }
            for meta in all_meta() {
                out.push_str(&format!(
                    "{indent}  - [{id}](rules/{id}.md)\n",
                    id = meta.id
                ));
            }
        }
    }
    out
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
