#![allow(clippy::unwrap_used, clippy::print_stderr)]
//! `--fix`, `--unsafe-fixes` and `--diff`: whole-file snapshots in several formatting styles,
//! re-parse and re-lint of the result, idempotence, atomic writing and its failure modes.

use crate::common;

use std::path::Path;

use assert_cmd::Command;

fn daemonlint(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("daemonlint").unwrap();
    cmd.current_dir(dir).arg("check").arg("--isolated");
    cmd
}

fn rules_in(dir: &Path, file: &str) -> Vec<String> {
    let out = daemonlint(dir)
        .args(["--format", "json", file])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect()
}

const FIXED_RULES: [&str; 6] = [
    "missing-control-plane-toleration",
    "aggressive-max-unavailable",
    "writable-host-path",
    "deprecated-api-version",
    "privilege-escalation",
    "host-network-dns-policy",
];

#[test]
fn fixes_keep_each_style_and_take() {
    for entry in std::fs::read_dir(common::root().join("tests/data/fix")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !name.ends_with(".yaml") {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let original = std::fs::read_to_string(&path).unwrap();
        std::fs::write(dir.path().join(&name), &original).unwrap();
        let before = rules_in(dir.path(), &name);
        let fixable = FIXED_RULES
            .iter()
            .filter(|r| before.iter().any(|b| b == *r))
            .count();
        assert!(
            fixable >= 2,
            "{name}: expected fixable findings before fixing: {before:?}"
        );
        let _ = daemonlint(dir.path())
            .args(["--fix", "--unsafe-fixes", &name])
            .output()
            .unwrap();
        let fixed = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        // The whole file, reviewed: comments, order, quoting, blank lines and indentation kept.
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!("fixed", fixed);
        });
        // Line endings are kept.
        assert_eq!(fixed.contains("\r\n"), original.contains("\r\n"), "{name}");
        if original.contains("\r\n") {
            assert!(
                !fixed.replace("\r\n", "").contains('\n'),
                "{name}: a bare LF was inserted"
            );
        }
        // Re-lint: the fixed rules are gone and nothing new appeared.
        let after = rules_in(dir.path(), &name);
        let expected: Vec<String> = before
            .iter()
            .filter(|r| !FIXED_RULES.contains(&r.as_str()))
            .cloned()
            .collect();
        let (mut after, mut expected) = (after, expected);
        after.sort();
        expected.sort();
        assert_eq!(after, expected, "{name}");
        // Idempotent: a second run changes nothing.
        let _ = daemonlint(dir.path())
            .args(["--fix", "--unsafe-fixes", &name])
            .output()
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(&name)).unwrap(),
            fixed,
            "{name}: second --fix changed the file"
        );
    }
}

#[test]
fn safe_fixes_only_without_unsafe_fixes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::root().join("tests/data/fix/four-space.yaml"),
        dir.path().join("ds.yaml"),
    )
    .unwrap();
    daemonlint(dir.path())
        .args(["--fix", "ds.yaml"])
        .assert()
        .code(1);
    let left = rules_in(dir.path(), "ds.yaml");
    assert!(left.contains(&"writable-host-path".to_string()), "{left:?}");
    assert!(
        !left.contains(&"aggressive-max-unavailable".to_string()),
        "{left:?}"
    );
    assert!(
        !left.contains(&"missing-control-plane-toleration".to_string()),
        "{left:?}"
    );
}

#[test]
fn diff_prints_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let original =
        std::fs::read_to_string(common::root().join("tests/data/fix/flow.yaml")).unwrap();
    std::fs::write(dir.path().join("ds.yaml"), &original).unwrap();
    let out = daemonlint(dir.path())
        .args(["--diff", "ds.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "changes pending");
    let diff = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!("diff_flow", diff);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ds.yaml")).unwrap(),
        original
    );
    daemonlint(dir.path())
        .args(["--fix", "ds.yaml"])
        .assert()
        .code(1);
    let out = daemonlint(dir.path())
        .args(["--diff", "ds.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "nothing left to fix");
    assert!(out.stdout.is_empty());
}

#[test]
fn symlinks_fix_the_target_and_keep_the_link() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::root().join("tests/data/fix/four-space.yaml"),
        dir.path().join("real.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink("real.yaml", dir.path().join("link.yaml")).unwrap();
    daemonlint(dir.path())
        .args(["--fix", "link.yaml"])
        .assert()
        .code(1);
    assert!(std::fs::symlink_metadata(dir.path().join("link.yaml"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(dir.path().join("real.yaml"))
        .unwrap()
        .contains("maxUnavailable: 1"));
}

#[test]
fn permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ds.yaml");
    std::fs::copy(common::root().join("tests/data/fix/four-space.yaml"), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    daemonlint(dir.path())
        .args(["--fix", "ds.yaml"])
        .assert()
        .code(1);
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("maxUnavailable: 1"));
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".daemonlint-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn a_file_changed_since_it_was_read_is_not_overwritten() {
    let original =
        std::fs::read_to_string(common::root().join("tests/data/fix/four-space.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ds.yaml");
    std::fs::write(&path, "changed by someone else\n").unwrap();
    let err = daemonlint::fix::write_atomic(&path, &original, "new text").unwrap_err();
    assert!(matches!(err, daemonlint::fix::WriteError::Changed), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "changed by someone else\n"
    );
}

#[test]
fn an_unwritable_file_is_an_error_and_stays_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ds.yaml");
    let original =
        std::fs::read_to_string(common::root().join("tests/data/fix/four-space.yaml")).unwrap();
    std::fs::write(&path, &original).unwrap();
    // Root ignores permission bits; the immutable attribute stops even root.
    let immutable = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&path)
        .status()
        .is_ok_and(|s| s.success());
    if !immutable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let out = daemonlint(dir.path())
        .args(["--fix", "--format", "concise", "ds.yaml"])
        .output()
        .unwrap();
    let _ = std::process::Command::new("chattr")
        .arg("-i")
        .arg(&path)
        .status();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    if !immutable && out.status.code() != Some(2) {
        eprintln!("SKIPPED: cannot make a file unwritable here (root without chattr)");
        return;
    }
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("error[io-error] cannot write the fixed file"),
        "{text}"
    );
    assert!(
        text.contains("aggressive-max-unavailable"),
        "the findings are still reported: {text}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
}

#[test]
fn stdin_fix_prints_the_fixed_text() {
    let original =
        std::fs::read_to_string(common::root().join("tests/data/fix/four-space.yaml")).unwrap();
    let out = Command::cargo_bin("daemonlint")
        .unwrap()
        .args(["check", "--isolated", "--fix", "-"])
        .write_stdin(original.clone())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, original.replace("maxUnavailable: 100%", "maxUnavailable: 1").replace(
        "                  effect: NoSchedule\n",
        "                  effect: NoSchedule\n                - key: node-role.kubernetes.io/control-plane\n                  operator: Exists\n                  effect: NoSchedule\n"
    ));
}

/// Property: on every corpus file, `--fix --unsafe-fixes` changes the documents only at the
/// paths the fixes target.
#[test]
fn corpus_fixes_change_only_the_fixed_paths() {
    let Some(corpus) = common::shared_corpus() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.ends_with(".tsv") || name.ends_with(".md") {
            continue;
        }
        std::fs::copy(&path, dir.path().join(&name)).unwrap();
        names.push(name);
    }
    let out = daemonlint(dir.path())
        .args(["--fix", "--unsafe-fixes", "--format", "json"])
        .args(&names)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut changed = 0;
    for name in &names {
        let before = std::fs::read_to_string(corpus.join(name)).unwrap();
        let after = std::fs::read_to_string(dir.path().join(name)).unwrap();
        if before != after {
            changed += 1;
        }
        let a = documents_json(&before);
        let b = documents_json(&after);
        assert_eq!(a.len(), b.len(), "{name}: document count changed");
        for (i, (mut x, mut y)) in a.into_iter().zip(b).enumerate() {
            strip_fixed_paths(&mut x);
            strip_fixed_paths(&mut y);
            assert_eq!(x, y, "{name}: document {i} changed outside the fixed paths");
        }
    }
    assert!(changed > 10, "only {changed} corpus files were fixed");
}

fn documents_json(text: &str) -> Vec<serde_json::Value> {
    daemonlint::yaml::documents(text, daemonlint::yaml::Limits::default())
        .map(|d| {
            let d = d.expect("the corpus parses");
            d.root().map_or(serde_json::Value::Null, |r| {
                daemonlint::yaml::json::to_json(r, 10_000_000).unwrap()
            })
        })
        .collect()
}

/// Remove the values the fixes may touch, in DaemonSets and in List items.
fn strip_fixed_paths(v: &mut serde_json::Value) {
    if v["kind"] == "List" {
        if let Some(items) = v["items"].as_array_mut() {
            items.iter_mut().for_each(strip_fixed_paths);
        }
        return;
    }
    if v["kind"] != "DaemonSet" {
        return;
    }
    if let Some(v) = v.as_object_mut() {
        v.remove("apiVersion");
    }
    if let Some(spec) = v.pointer_mut("/spec").and_then(|s| s.as_object_mut()) {
        // deprecated-api-version adds the selector and the old OnDelete default.
        spec.remove("selector");
        if let Some(us) = spec
            .get_mut("updateStrategy")
            .and_then(|u| u.as_object_mut())
        {
            us.remove("type");
            if us.is_empty() {
                spec.remove("updateStrategy");
            }
        }
    }
    if let Some(ru) = v
        .pointer_mut("/spec/updateStrategy/rollingUpdate")
        .and_then(|r| r.as_object_mut())
    {
        ru.remove("maxUnavailable");
    }
    if let Some(pod) = v
        .pointer_mut("/spec/template/spec")
        .and_then(|p| p.as_object_mut())
    {
        pod.remove("tolerations");
        pod.remove("dnsPolicy");
        for field in ["containers", "initContainers", "ephemeralContainers"] {
            for c in pod
                .get_mut(field)
                .and_then(|c| c.as_array_mut())
                .into_iter()
                .flatten()
            {
                for m in c
                    .get_mut("volumeMounts")
                    .and_then(|m| m.as_array_mut())
                    .into_iter()
                    .flatten()
                {
                    if let Some(m) = m.as_object_mut() {
                        m.remove("readOnly");
                    }
                }
                if let Some(c) = c.as_object_mut() {
                    if let Some(sc) = c.get_mut("securityContext").and_then(|s| s.as_object_mut()) {
                        sc.remove("allowPrivilegeEscalation");
                        if sc.is_empty() {
                            c.remove("securityContext");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn an_unquoted_yes_in_a_string_field_is_not_fixed_to_true() {
    // `enabled: yes` under labels is a string left unquoted (the API server rejects the
    // boolean); `hostNetwork: yes` is a boolean spelled the YAML 1.1 way.
    let text = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: a\n  labels:\n    \
                enabled: yes\nspec:\n  selector:\n    matchLabels: {app: a}\n  template:\n    \
                metadata:\n      labels: {app: a}\n    spec:\n      hostNetwork: yes\n      \
                containers:\n        - name: a\n          image: a:1\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ds.yaml"), text).unwrap();
    daemonlint(dir.path())
        .args([
            "--select",
            "yaml-1-1-ambiguity,invalid-type",
            "--fix",
            "ds.yaml",
        ])
        .assert()
        .code(1);
    let fixed = std::fs::read_to_string(dir.path().join("ds.yaml")).unwrap();
    assert_eq!(
        fixed,
        text.replace("hostNetwork: yes", "hostNetwork: true"),
        "only the boolean field is rewritten"
    );
    // Both findings on the label remain: the safe fix was withheld, the quotes are unsafe.
    assert_eq!(
        rules_in(dir.path(), "ds.yaml")
            .into_iter()
            .filter(|r| r == "yaml-1-1-ambiguity" || r == "invalid-type")
            .count(),
        2
    );
    daemonlint(dir.path())
        .args([
            "--select",
            "yaml-1-1-ambiguity,invalid-type",
            "--fix",
            "--unsafe-fixes",
            "ds.yaml",
        ])
        .assert()
        .code(0);
    assert!(std::fs::read_to_string(dir.path().join("ds.yaml"))
        .unwrap()
        .contains("enabled: \"yes\""));
}
