//! The API server's validation errors, worded as `k8s.io/apimachinery/pkg/util/validation/field`
//! words them (`field.Invalid`, `field.Duplicate`, `field.NotFound`), for the rules that report
//! what it rejects.

use crate::k8s::names::go_quote;
use crate::manifest::DaemonSet;
use crate::source::Span;

/// The field path the API server names for the node at `span` (`spec.template.spec.volumes[1].name`),
/// without the `items[i].` of a `kind: List`.
#[must_use]
pub fn field_path(ds: &DaemonSet<'_>, span: Span) -> String {
    ds.object.node.path_to(span).unwrap_or_default()
}

/// `field.Invalid`: `<path>: Invalid value: "<value>": <detail>`.
#[must_use]
pub fn invalid(path: &str, value: &str, detail: &str) -> String {
    format!("{path}: Invalid value: {}: {detail}", go_quote(value))
}

/// `field.Duplicate`: `<path>: Duplicate value: "<value>"`.
#[must_use]
pub fn duplicate(path: &str, value: &str) -> String {
    format!("{path}: Duplicate value: {}", go_quote(value))
}

/// `field.NotFound`: `<path>: Not found: "<value>"`.
#[must_use]
pub fn not_found(path: &str, value: &str) -> String {
    format!("{path}: Not found: {}", go_quote(value))
}
