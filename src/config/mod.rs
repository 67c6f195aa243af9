//! The `.daemonlint.yaml` configuration file: its schema (`file.rs`), reading and validating
//! it (`load.rs`) and the resolver that finds the file applying to each path (`resolver.rs`).
//! The resolved settings it produces are [`crate::settings`].
//!
//! Precedence: defaults < the configuration file found by walking up from each linted file
//! (then the working directory) < `--config FILE` < command-line flags. `--isolated` ignores
//! every configuration file. The file is parsed with the project's own span tree, so every
//! error points into the file; its JSON Schema is generated from the types of `file.rs`
//! (`docs/daemonlint.schema.json`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use globset::Glob;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules;
use crate::source::{SourceFile, Span};
use crate::yaml::json::Step;

mod file;
mod load;
mod resolver;

pub use file::*;
pub use load::*;
pub use resolver::*;

// The resolved settings: one layer below the configuration files that produce them.
pub use crate::rules::unknown_rule_message;
pub use crate::settings::*;
use crate::settings::{absolute, build_globs};

/// The names a configuration file may have, in the order they are looked for.
pub const CONFIG_NAMES: &[&str] = &[".daemonlint.yaml", ".daemonlint.yml"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Category;

    fn parse(text: &str) -> Result<Layer, Vec<ConfigError>> {
        parse_layer(Path::new(".daemonlint.yaml"), text.to_string())
    }

    fn error_at(text: &str) -> (String, String) {
        let errs = parse(text).expect_err("invalid");
        let e = &errs[0];
        (e.source.text[e.span.range()].to_string(), e.message.clone())
    }

    #[test]
    fn unknown_keys_point_at_themselves_with_a_suggestion() {
        let (at, msg) = error_at("selct: [all]\n");
        assert_eq!(at, "selct");
        assert!(msg.contains("did you mean `select`"), "{msg}");
        let (at, msg) = error_at("rules:\n  aggressive-max-unavailable:\n    max-precent: 10\n");
        assert_eq!(at, "max-precent");
        assert!(msg.contains("did you mean `max-percent`"), "{msg}");
    }

    #[test]
    fn wrong_types_and_unknown_rules_point_at_the_value() {
        let (at, msg) = error_at("fail-on: sometimes\n");
        assert_eq!(at, "sometimes");
        assert!(msg.contains("fail-on"), "{msg}");
        let (at, msg) = error_at("ignore: [writable-hostpath]\n");
        assert_eq!(at, "writable-hostpath");
        assert!(msg.contains("did you mean `writable-host-path`"), "{msg}");
        let (at, msg) = error_at("severity:\n  host-netwrk: off\n");
        assert_eq!(at, "host-netwrk");
        assert!(msg.contains("did you mean `host-network`"), "{msg}");
        let (at, msg) = error_at("exclude: ['a/[b']\n");
        assert_eq!(at, "'a/[b'");
        assert!(msg.starts_with("invalid glob"), "{msg}");
    }

    #[test]
    fn selection_semantics() {
        let meta = rules::find("host-network").expect("rule");
        let mut s = Selection::default();
        assert_eq!(s.severity_of(meta), Some(Severity::Warning));
        s.ignore.push(Selector::Category(Category::Security));
        assert_eq!(s.severity_of(meta), None);
        let mut s = Selection {
            select: Some(vec![Selector::Rule("host-pid".into())]),
            ..Selection::default()
        };
        assert_eq!(s.severity_of(meta), None);
        s.select = Some(vec![Selector::All]);
        s.severity.insert("host-network".into(), Level::Error);
        assert_eq!(s.severity_of(meta), Some(Severity::Error));
        s.severity.insert("host-network".into(), Level::Off);
        assert_eq!(s.severity_of(meta), None);
    }

    #[test]
    fn resource_options_drop_cpu() {
        let layer = parse("rules:\n  missing-resource-limits:\n    cpu: false\n").expect("valid");
        let mut s = Settings::default();
        apply_layer(&mut s, &layer);
        assert_eq!(s.options.required_limits, vec!["memory".to_string()]);
        assert_eq!(
            s.options.required_requests,
            vec!["cpu".to_string(), "memory".to_string()]
        );
    }

    #[test]
    fn host_path_allow_list() {
        let mut o = RuleOptions::default();
        o.host_path_allow.push(HostPathAllow {
            daemonsets: vec!["fluent-*".into()],
            paths: vec!["/var/log".into()],
            read_only: true,
        });
        assert!(o.host_path_allowed(Some("fluent-bit"), "/var/log/pods", true));
        assert!(!o.host_path_allowed(Some("fluent-bit"), "/var/log", false));
        assert!(!o.host_path_allowed(Some("fluent-bit"), "/var/logs", true));
        assert!(!o.host_path_allowed(Some("node-exporter"), "/var/log", true));
    }
}
