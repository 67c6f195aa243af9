//! The documentation: the README stays a front page, the book (`docs/`) lists every page in
//! `SUMMARY.md`, every internal link and anchor resolves, and mdBook builds it. That the generated
//! rule pages are fresh is checked by `tests/it/registry.rs` (`generated_rule_reference_is_up_to_date`).
#![allow(clippy::print_stderr)]

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn book() -> PathBuf {
    common::root().join("docs/src")
}

/// Every Markdown file under `dir`, recursively.
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "md") {
            out.push(path);
        }
    }
}

/// The text outside fenced code blocks, with inline code removed (links there are examples).
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            out.push('\n');
            continue;
        }
        if fenced {
            out.push('\n');
            continue;
        }
        let mut code = false;
        for c in line.chars() {
            if c == '`' {
                code = !code;
            } else if !code {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

/// The targets of the inline links `[text](target)` of a page's prose.
fn links(text: &str) -> Vec<String> {
    let prose = prose(text);
    let mut out = Vec::new();
    let mut rest = prose.as_str();
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].to_string());
        }
    }
    out
}

/// The anchors mdBook gives a page's headings: lowercase, spaces as `-`, only letters, digits,
/// `-` and `_` kept (code spans keep their text).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let id: String = title
            .chars()
            .filter_map(|c| {
                if c.is_whitespace() {
                    Some('-')
                } else if c.is_alphanumeric() || c == '-' || c == '_' {
                    Some(c.to_ascii_lowercase())
                } else {
                    None
                }
            })
            .collect();
        out.insert(id);
    }
    out
}

/// Broken relative links of one Markdown file: a missing file, or a missing heading anchor in
/// a Markdown target. Links with a scheme (`https:`) are not followed.
/// The repository, as Cargo.toml's `repository` names it.
const REPOSITORY: &str = "https://github.com/daemonlint/daemonlint";

fn broken_links(file: &Path, text: &str) -> Vec<String> {
    let dir = file.parent().expect("a parent");
    let mut broken = Vec::new();
    for link in links(text) {
        // A link into this repository's main branch names a file of the checkout.
        let in_repo = ["blob/main/", "tree/main/"]
            .iter()
            .find_map(|kind| link.strip_prefix(&format!("{REPOSITORY}/{kind}")));
        if in_repo.is_none() && (link.contains("://") || link.starts_with("mailto:")) {
            continue;
        }
        let rest = in_repo.unwrap_or(&link);
        let (path, anchor) = rest.split_once('#').unwrap_or((rest, ""));
        let target = match in_repo {
            Some(_) => common::root().join(path),
            None if path.is_empty() => file.to_path_buf(),
            None => dir.join(path),
        };
        if !target.exists() {
            broken.push(format!("{}: {link}: no such file", file.display()));
            continue;
        }
        if !anchor.is_empty()
            && target.extension().is_some_and(|ext| ext == "md")
            && !anchors(&read(&target)).contains(anchor)
        {
            broken.push(format!("{}: {link}: no such heading", file.display()));
        }
    }
    broken
}

#[test]
fn the_readme_is_a_front_page_with_its_two_commands() {
    let readme = read(&common::root().join("README.md"));
    let lines = readme.lines().count();
    assert!(lines <= 200, "README.md has {lines} lines, more than 200");
    let commands: Vec<&str> = readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split("\n```").next())
        .collect();
    // The two commands the README promises: the linter on the bundled examples, and the tests.
    assert!(
        commands.contains(&"cargo run --release -- check demo/"),
        "{commands:?}"
    );
    assert!(commands.contains(&"scripts/ready"), "{commands:?}");
    assert!(common::root().join("demo/.daemonlint.yaml").is_file());
    let ready = common::root().join("scripts/ready");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&ready)
            .expect("scripts/ready")
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "scripts/ready is not executable");
    }
    assert!(read(&ready).contains("cargo test"));
}

#[test]
fn summary_lists_every_page_and_only_pages_that_exist() {
    let book = book();
    let summary = read(&book.join("SUMMARY.md"));
    let listed: Vec<String> = links(&summary);
    let listed_set: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    assert_eq!(listed.len(), listed_set.len(), "a page listed twice");
    let mut files = Vec::new();
    markdown_files(&book, &mut files);
    let pages: BTreeSet<String> = files
        .iter()
        .map(|f| {
            f.strip_prefix(&book)
                .expect("under docs/src")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .filter(|p| p != "SUMMARY.md")
        .collect();
    let unlisted: Vec<_> = pages
        .iter()
        .filter(|p| !listed_set.contains(p.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "pages missing from SUMMARY.md: {unlisted:?}"
    );
    let missing: Vec<_> = listed_set.iter().filter(|p| !pages.contains(**p)).collect();
    assert!(
        missing.is_empty(),
        "SUMMARY.md lists missing pages: {missing:?}"
    );
    // Every rule has its page.
    for meta in daemonlint::rules::all_meta() {
        assert!(
            pages.contains(&format!("rules/{}.md", meta.id)),
            "{}",
            meta.id
        );
    }
}

#[test]
fn internal_links_and_anchors_resolve() {
    let root = common::root();
    let mut files = vec![
        root.join("README.md"),
        root.join("CONTRIBUTING.md"),
        root.join("ARCHITECTURE.md"),
    ];
    markdown_files(&book(), &mut files);
    markdown_files(&root.join("rules"), &mut files);
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = read(file);
        checked += links(&text).len();
        broken.extend(broken_links(file, &text));
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(
        checked > 200,
        "only {checked} links found: is the parser broken?"
    );
}

/// The README is also the long description on PyPI (the wheel) and crates.io, where a relative
/// link goes nowhere: every link into the repository is absolute (and checked above).
#[test]
fn the_readme_links_work_off_github() {
    let readme = read(&common::root().join("README.md"));
    let relative: Vec<String> = links(&readme)
        .into_iter()
        .filter(|l| !(l.contains("://") || l.starts_with('#') || l.starts_with("mailto:")))
        .collect();
    assert!(
        relative.is_empty(),
        "relative links in README.md: {relative:?}"
    );
    let cargo = read(&common::root().join("Cargo.toml"));
    assert!(
        cargo.contains(&format!("repository = \"{REPOSITORY}\"")),
        "Cargo.toml names another repository"
    );
}

#[test]
fn the_link_checker_finds_what_is_broken() {
    let dir = book();
    let page = dir.join("guide/configuration.md");
    let text = "[ok](suppressions.md) [ok](#configuration) `[code](nowhere.md)`\n\
                [missing](nowhere.md) [bad anchor](usage.md#no-such-heading) \
                [web](https://example.com/x.md)\n```\n[fenced](nowhere.md)\n```\n\
                [repo](https://github.com/daemonlint/daemonlint/blob/main/README.md) \
                [repo dir](https://github.com/daemonlint/daemonlint/tree/main/docs/) \
                [gone](https://github.com/daemonlint/daemonlint/blob/main/no/such.md)\n";
    let broken = broken_links(&page, text);
    assert_eq!(broken.len(), 3, "{broken:?}");
    assert!(
        broken[2].ends_with("no/such.md: no such file"),
        "{broken:?}"
    );
    assert!(
        broken[0].ends_with("nowhere.md: no such file"),
        "{broken:?}"
    );
    assert!(
        broken[1].ends_with("usage.md#no-such-heading: no such heading"),
        "{broken:?}"
    );
    assert!(anchors("## Editor integration: `daemonlint lsp`\n")
        .contains("editor-integration-daemonlint-lsp"));
}

/// The path of mdBook, installed (pinned, cached) by `scripts/install-mdbook`, or why not.
fn mdbook() -> Result<PathBuf, String> {
    let output = Command::new("bash")
        .arg(common::root().join("scripts/install-mdbook"))
        .output()
        .map_err(|e| format!("cannot run scripts/install-mdbook: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "scripts/install-mdbook could not install mdBook: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "scripts/install-mdbook printed {}, not a file",
            path.display()
        ))
    }
}

#[test]
fn the_book_builds_without_warnings() {
    let mdbook = match mdbook() {
        Ok(path) => path,
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("book");
    let _ = std::fs::remove_dir_all(&out);
    let output = Command::new(&mdbook)
        .arg("build")
        .arg(common::root().join("docs"))
        .arg("--dest-dir")
        .arg(&out)
        .output()
        .expect("run mdbook");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "mdbook build failed:\n{stderr}");
    assert!(
        !stderr.contains("WARN") && !stderr.contains("ERROR"),
        "mdbook build warned:\n{stderr}"
    );
    for page in [
        "index.html",
        "guide/configuration.html",
        "rules.html",
        "rules/writable-host-path.html",
        "reference/json.html",
    ] {
        assert!(out.join(page).is_file(), "{page} was not built");
    }
    let rule = read(&out.join("rules/writable-host-path.html"));
    assert!(
        rule.contains("href=\"sensitive-host-path.html\""),
        "a rule links to another"
    );
}
