//! Kubernetes semantics shared by rules (and by coverage and the inventory): what a host path
//! is to a node, which names the API server accepts, what a partial document is, resource
//! quantities, tolerations, rollout amounts, scheduling (where a DaemonSet's pods run), the Pod
//! Security Standards, the Kubernetes versions (and their schemas).

pub mod hostpath;
pub mod names;
pub mod partial;
pub mod pss;
pub mod quantity;
pub mod rolling_update;
pub mod scheduling;
pub mod tolerations;
pub mod version;
