//! `yaml-1-1-ambiguity`: plain scalars that Kubernetes (YAML 1.1) and YAML 1.2 tools read
//! differently. Reported by the engine over the whole text of every DaemonSet object.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::manifest::Object;
use crate::settings::Settings;
use crate::yaml::{scalar, Resolved};

use super::{push_engine_finding, Violation, YAML_1_1_AMBIGUITY};

/// Flag every ambiguous plain scalar (keys included) written inside `object`.
pub fn check_object(object: &Object<'_>, settings: &Settings, out: &mut Vec<Diagnostic>) {
    if settings.severity_of(&YAML_1_1_AMBIGUITY).is_none() {
        return;
    }
    let mut found = Vec::new();
    for node in object.node.ambiguous_scalars() {
        let Some(text) = node.scalar_text() else {
            continue;
        };
        let Some(yaml12) = scalar::yaml12_disagreement(text) else {
            continue;
        };
        let (kubernetes, yaml12, replacement, help) = match node.resolve() {
            Some(Resolved::Bool(b)) => (
                format!("the boolean `{b}`"),
                format!("{yaml12} `{text}`"),
                b.to_string(),
                format!(
                    "write `{b}`, which every reader takes the same way; quote it (`\"{text}\"`) \
                     if a string is meant"
                ),
            ),
            Some(Resolved::Int(i)) => {
                let digits = text.trim_start_matches(['-', '+']).trim_start_matches('0');
                let digits = if digits.is_empty() { "0" } else { digits };
                let sign = if text.starts_with('-') { "-" } else { "" };
                let octal = format!("{sign}0o{digits}");
                (
                    format!("the octal number `{text}` (decimal {i})"),
                    // YAML 1.2 reads the digits in base 10: `0755` is 755.
                    format!("{yaml12} {sign}{digits}"),
                    octal.clone(),
                    format!(
                        "write `{octal}`, which Kubernetes and YAML 1.2 tools both read as {i} \
                         (strict YAML 1.1 readers such as PyYAML take `{octal}` as a string; the \
                         decimal `{i}` reads the same everywhere); quote it (`\"{text}\"`) if a \
                         string is meant"
                    ),
                )
            }
            _ => continue,
        };
        let message = format!(
            "`{text}` is {kubernetes} to Kubernetes (YAML 1.1), but {yaml12} to YAML 1.2 tools \
             (editors, yq, most libraries)"
        );
        let fix = Fix {
            description: format!("write `{replacement}`"),
            applicability: Applicability::Safe,
            edits: vec![Edit {
                span: node.span(),
                replacement,
            }],
        };
        found.push(
            Violation::new(node.span(), message)
                .help(help)
                .with_fix(Some(fix)),
        );
    }
    for v in found {
        push_engine_finding(object, &YAML_1_1_AMBIGUITY, settings, v, out);
    }
}

/// Where the schema wants a string, `yes` written for a label value is no boolean gone wrong
/// but a string left unquoted: writing `true` would keep the value the API server rejects.
/// There `invalid-type` reports the same token and offers the quotes, so this finding keeps
/// its message but gives up its fix and says to quote instead.
pub fn defer_to_invalid_type(found: &mut [Diagnostic]) {
    let rule = YAML_1_1_AMBIGUITY.id;
    if !found.iter().any(|d| d.rule == rule) {
        return;
    }
    let strings: Vec<crate::source::Span> = found
        .iter()
        .filter(|d| d.rule == super::INVALID_TYPE.id && d.message.contains("must be a string"))
        .map(|d| d.span)
        .collect();
    for d in found.iter_mut() {
        if d.rule == rule && d.fix.is_some() && strings.contains(&d.span) {
            d.fix = None;
            d.help = Some(
                "the field is a string: quote the value (see `invalid-type`, whose fix does)"
                    .into(),
            );
        }
    }
}
