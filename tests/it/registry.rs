#![allow(clippy::unwrap_used)]
//! Invariants of the rule registry: every rule has a page whose front matter agrees with the
//! code, fail and pass fixtures with snapshots; ids are unique; the page examples behave; the
//! generated reference is up to date; the id list changes only deliberately.

use crate::common;

use std::collections::BTreeSet;

use daemonlint::rules;

fn front_matter(text: &str) -> Vec<(String, String)> {
    let body = text
        .strip_prefix("---\n")
        .expect("front matter starts the page");
    let end = body.find("\n---\n").expect("front matter ends");
    body[..end]
        .lines()
        .filter_map(|l| {
            l.split_once(": ")
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

#[test]
fn ids_are_unique_and_listed() {
    let ids: Vec<&str> = rules::all_meta().map(|m| m.id).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "duplicate rule ids");
    insta::assert_snapshot!("rule_ids", ids.join("\n"));
}

#[test]
fn every_rule_has_a_page_that_agrees_with_the_code() {
    for meta in rules::all_meta() {
        let path = common::root().join("rules").join(format!("{}.md", meta.id));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} has no page", meta.id));
        let fm = front_matter(&text);
        let get = |k: &str| fm.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("id"), Some(meta.id), "{}: id", meta.id);
        assert_eq!(
            get("severity"),
            Some(meta.default_severity.as_str()),
            "{}: severity",
            meta.id
        );
        assert_eq!(
            get("category"),
            Some(meta.category.as_str()),
            "{}: category",
            meta.id
        );
        assert_eq!(get("since"), Some(meta.since), "{}: since", meta.id);
        let fix = serde_json::to_value(meta.fix).expect("fix kind");
        assert_eq!(get("fix"), fix.as_str(), "{}: fix", meta.id);
        for heading in [
            "## What it does",
            "## Why it matters on a DaemonSet",
            "## Example",
            "## How to fix",
            "## Options",
            "## References",
        ] {
            assert!(text.contains(heading), "{}: missing `{heading}`", meta.id);
        }
        assert!(
            daemonlint::rules_docs::page(meta.id).is_some(),
            "{}: page not embedded",
            meta.id
        );
    }
    // No page without a rule.
    for entry in std::fs::read_dir(common::root().join("rules")).expect("rules/") {
        let name = entry
            .expect("entry")
            .file_name()
            .into_string()
            .expect("utf-8 name");
        if let Some(id) = name.strip_suffix(".md") {
            assert!(rules::find(id).is_some(), "rules/{name} documents no rule");
        }
    }
}

#[test]
fn every_rule_has_fixtures_and_snapshots() {
    let snapshots: Vec<String> = std::fs::read_dir(common::root().join("tests/it/snapshots"))
        .expect("tests/it/snapshots")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    for meta in rules::all_meta() {
        let dir = common::root().join("fixtures").join(meta.id);
        let files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("{} has no fixtures/{}/", meta.id, meta.id))
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| !n.ends_with(".expect"))
            .collect();
        assert!(
            files.iter().any(|f| f.starts_with("fail-")),
            "{}: no fail-* fixture",
            meta.id
        );
        assert!(
            files.iter().any(|f| f.starts_with("pass-")),
            "{}: no pass-* fixture",
            meta.id
        );
        for f in &files {
            let snap = format!("fixture@{}__{f}.snap", meta.id);
            assert!(snapshots.contains(&snap), "{}: no snapshot {snap}", meta.id);
        }
    }
    // No fixture directory without a rule, no snapshot without a fixture.
    for entry in std::fs::read_dir(common::root().join("fixtures")).expect("fixtures/") {
        let name = entry
            .expect("entry")
            .file_name()
            .into_string()
            .expect("utf-8 name");
        assert!(
            rules::find(&name).is_some(),
            "fixtures/{name} belongs to no rule"
        );
    }
    for snap in &snapshots {
        if let Some(rest) = snap.strip_prefix("fixture@") {
            let rest = rest.trim_end_matches(".snap");
            let (rule, file) = rest.split_once("__").expect("rule__file");
            assert!(
                common::root()
                    .join("fixtures")
                    .join(rule)
                    .join(file)
                    .symlink_metadata()
                    .is_ok(),
                "unreferenced snapshot {snap}"
            );
        }
    }
}

fn example_blocks(text: &str, info: &str) -> Vec<String> {
    let fence = format!("```{info}\n");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("\n```").expect("closed fence");
        out.push(body[..=end].to_string());
        rest = &body[end..];
    }
    out
}

#[test]
fn page_examples_fire_and_stay_silent() {
    for meta in rules::all_meta() {
        let settings = common::settings_for(meta.id);
        let text = daemonlint::rules_docs::page(meta.id).expect("page");
        let bad = example_blocks(text, "yaml bad");
        let good = example_blocks(text, "yaml good");
        assert!(!good.is_empty(), "{}: no `yaml good` example", meta.id);
        if meta.id != "io-error" {
            assert!(!bad.is_empty(), "{}: no `yaml bad` example", meta.id);
        }
        if meta.id == "invalid-config" {
            for example in &bad {
                assert!(daemonlint::config::parse_layer(
                    std::path::Path::new("bad.yaml"),
                    example.clone()
                )
                .is_err());
            }
            for example in &good {
                assert!(daemonlint::config::parse_layer(
                    std::path::Path::new("good.yaml"),
                    example.clone()
                )
                .is_ok());
            }
            continue;
        }
        if meta.id == "invalid-policy" {
            // Its examples are policy files.
            let load = |text: &str| {
                let source = daemonlint::source::SourceFile::new("policy.yaml", text);
                daemonlint::policy::load_source(&source, &settings, &mut Default::default()).1
            };
            assert!(
                bad.iter().all(|e| !load(e).is_empty()),
                "invalid-policy: the bad example loads"
            );
            for e in &good {
                let errors = load(e);
                assert!(
                    errors.is_empty(),
                    "invalid-policy: the good example fails: {errors:?}"
                );
            }
            continue;
        }
        for example in &bad {
            let report = daemonlint::Linter::new(&settings).check_source(
                daemonlint::source::SourceFile::new("bad.yaml", example.clone()),
                None,
            );
            assert!(
                report.diagnostics.iter().any(|d| d.rule == meta.id),
                "{}: the bad example does not fire it",
                meta.id
            );
        }
        for example in &good {
            let report = daemonlint::Linter::new(&settings).check_source(
                daemonlint::source::SourceFile::new("good.yaml", example.clone()),
                None,
            );
            let fired: Vec<_> = report
                .diagnostics
                .iter()
                .filter(|d| d.rule == meta.id)
                .collect();
            assert!(
                fired.is_empty(),
                "{}: the good example fires it: {fired:?}",
                meta.id
            );
        }
    }
}

#[test]
fn generated_rule_reference_is_up_to_date() {
    // The book's rule reference (`docs/src/rules.md`, `docs/src/rules/<id>.md`) and the rule
    // entries of its `SUMMARY.md` are generated from the registry and `rules/<id>.md`.
    let book = common::root().join("docs/src");
    let mut expected = daemonlint::rules_docs::book_pages();
    let summary = std::fs::read_to_string(book.join("SUMMARY.md")).expect("docs/src/SUMMARY.md");
    expected.push((
        "SUMMARY.md".to_string(),
        daemonlint::rules_docs::book_summary(&summary),
    ));
    let bless = std::env::var_os("DAEMONLINT_BLESS").is_some();
    let rule_dir = book.join("rules");
    let mut stale = Vec::new();
    // A page of a rule that no longer exists is stale too.
    for entry in std::fs::read_dir(&rule_dir).into_iter().flatten().flatten() {
        let name = format!("rules/{}", entry.file_name().to_string_lossy());
        if !expected.iter().any(|(path, _)| *path == name) {
            if bless {
                std::fs::remove_file(entry.path()).expect("remove a stale page");
            } else {
                stale.push(name);
            }
        }
    }
    for (path, text) in &expected {
        let file = book.join(path);
        if bless {
            std::fs::create_dir_all(file.parent().expect("a parent")).expect("mkdir");
            std::fs::write(&file, text).expect("write a generated page");
        } else if std::fs::read_to_string(&file).unwrap_or_default() != *text {
            stale.push(path.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated pages in docs/src: {stale:?}: run `DAEMONLINT_BLESS=1 cargo test --test it registry::` and commit them"
    );
    assert_eq!(
        expected.len(),
        daemonlint::rules::all_meta().count() + 2,
        "the index, SUMMARY.md and one page per rule"
    );
}

#[test]
fn config_json_schema_is_up_to_date() {
    let expected = daemonlint::config::json_schema();
    let path = common::root().join("docs/daemonlint.schema.json");
    if std::env::var_os("DAEMONLINT_BLESS").is_some() {
        std::fs::write(&path, &expected).expect("write the schema");
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/daemonlint.schema.json is stale: run `DAEMONLINT_BLESS=1 cargo test --test it registry::` and commit it"
    );
    // The README's complete example validates against the published schema.
    let schema: serde_json::Value = serde_json::from_str(&actual).expect("schema is JSON");
    assert_eq!(schema["title"], "daemonlint configuration");
    assert!(schema["properties"]["select"].is_object());
}
