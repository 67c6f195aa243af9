#![allow(clippy::unwrap_used)]
//! Every example policy under `policies/examples/` against its fixtures in
//! `policies/examples/fixtures/<policy file stem>/`: `fail-*` files list every finding of the
//! policy (`# expect: <policy-id> line:col-line:col`), `pass-*` files stay silent, and the
//! concise rendering of each run is an insta snapshot (`policy@<stem>__<file>.snap`).

use crate::common;

use std::path::{Path, PathBuf};

use daemonlint::config::Settings;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new("policies/examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(common::root().join(dir))
        .expect("policies/examples/")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.ends_with(".yaml").then(|| dir.join(name))
        })
        .collect();
    files.sort();
    files
}

fn fixtures(stem: &str) -> Vec<PathBuf> {
    let dir = Path::new("policies/examples/fixtures").join(stem);
    let mut files: Vec<PathBuf> = std::fs::read_dir(common::root().join(&dir))
        .unwrap_or_else(|_| panic!("no fixtures for policy {stem}: {}", dir.display()))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            (name.starts_with("fail-") || name.starts_with("pass-")).then(|| dir.join(name))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn example_policies_fire_exactly_where_their_fixtures_say() {
    let settings = Settings::default();
    let mut failures = Vec::new();
    let mut snapshots_expected = Vec::new();
    for policy_file in examples() {
        let stem = policy_file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap()
            .to_string();
        let set = daemonlint::policy::load(std::slice::from_ref(&policy_file), &settings)
            .unwrap_or_else(|e| panic!("{} does not load: {e:?}", policy_file.display()));
        assert_eq!(set.len(), 1, "{stem}: one policy per example file");
        let id = set.iter().next().unwrap().id.clone();
        let files = fixtures(&stem);
        assert!(
            files.iter().any(|f| f.to_string_lossy().contains("/fail-")),
            "{stem}: no fail-* fixture"
        );
        assert!(
            files.iter().any(|f| f.to_string_lossy().contains("/pass-")),
            "{stem}: no pass-* fixture"
        );
        for file in files {
            let mut with_policy = Settings::default();
            with_policy.policies = vec![policy_file.clone()];
            let report = daemonlint::Linter::new(&with_policy)
                .report(&daemonlint::Inputs::paths(std::slice::from_ref(&file)));
            let found: Vec<String> = common::positions(&report)
                .into_iter()
                .filter(|p| p.starts_with(&format!("{id} ")))
                .collect();
            let expected = common::expectations(&file);
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap()
                .to_string();
            if name.starts_with("fail-") && expected.is_empty() {
                failures.push(format!(
                    "{}: a fail fixture must expect `{id}`",
                    file.display()
                ));
            }
            if found != expected {
                failures.push(format!(
                    "{}:\n  expected {expected:?}\n  found    {found:?}",
                    file.display()
                ));
            }
            let mut insta_settings = insta::Settings::clone_current();
            insta_settings.set_snapshot_suffix(format!("{stem}__{name}"));
            insta_settings.set_prepend_module_to_snapshot(false);
            insta_settings.set_omit_expression(true);
            insta_settings.set_info(&file.display().to_string());
            insta_settings.bind(|| insta::assert_snapshot!("policy", common::concise(&report)));
            snapshots_expected.push(format!("policy@{stem}__{name}.snap"));
        }
    }
    assert!(
        failures.is_empty(),
        "policy fixture mismatches:\n{}",
        failures.join("\n")
    );
    for entry in std::fs::read_dir(common::root().join("tests/it/snapshots")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.starts_with("policy@") {
            assert!(
                snapshots_expected.contains(&name),
                "unreferenced snapshot {name}"
            );
        }
    }
}

#[test]
fn findings_carry_the_policy_id_severity_and_docs() {
    let settings = Settings::default();
    let set = daemonlint::policy::load(
        &[PathBuf::from("policies/examples/registry-images.yaml")],
        &settings,
    )
    .unwrap();
    let _ = set;
    let mut with_policy = Settings::default();
    with_policy.policies = vec![PathBuf::from("policies/examples/registry-images.yaml")];
    let report =
        daemonlint::Linter::new(&with_policy).report(&daemonlint::Inputs::paths(&[PathBuf::from(
            "policies/examples/fixtures/registry-images/fail-public-images.yaml",
        )]));
    let d = report
        .diagnostics()
        .map(|(_, d)| d)
        .find(|d| d.rule == "images-from-our-registry")
        .expect("a policy finding");
    assert_eq!(d.severity, daemonlint::diagnostic::Severity::Error);
    assert_eq!(
        d.docs_url(),
        "https://wiki.example.com/platform/container-registry"
    );
    assert_eq!(
        d.path.as_deref(),
        Some("spec.template.spec.initContainers[0].image")
    );
    assert!(
        d.message.starts_with("images must come from registry.example.com/: `spec.template.spec.initContainers[0].image` is the string `\"busybox:1.36\"`"),
        "{}",
        d.message
    );
    assert_eq!(
        d.help.as_deref(),
        Some("mirror the image into registry.example.com and reference it from there")
    );
}
