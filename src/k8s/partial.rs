//! Partial documents: a DaemonSet that is a patch (a Kustomize strategic-merge patch, an overlay
//! lying in a plain manifest folder) rather than a whole object. What it lacks comes from the
//! base it patches, so no rule reports an absent field on it.

use crate::yaml::Node;

/// True for a DaemonSet document with neither `spec.selector` nor pod template labels: a whole
/// `apps/v1` DaemonSet needs both (the API server rejects one without a selector, and a
/// selector must select the template's labels), while a patch carries only what it changes.
/// `missing-field` and every rule about an absent field use this one test.
#[must_use]
pub fn is_partial(object: Node<'_>) -> bool {
    object.get_path(&["spec", "selector"]).is_none()
        && object
            .get_path(&["spec", "template", "metadata", "labels"])
            .is_none()
}
