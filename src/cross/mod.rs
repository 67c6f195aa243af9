//! The run-level phase: a compact index of every linted file's objects, collected while each
//! file is linted (files are parsed once), and the checks that need objects of several files:
//! `pod-security-admission`, `missing-service-account`, `cluster-admin-binding`,
//! `missing-config-reference`. The privilege inventory is built from the same index.
//!
//! `index.rs` is the index (and the inventory's part of it), `scope.rs` which files a
//! DaemonSet is compared with, `checks.rs` the run-level rules.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Label, ObjectRef, Severity};
use crate::findings::FileReport;
use crate::k8s::pss::{self, Level};
use crate::manifest::{DaemonSet, Object};
use crate::rules::{self, RuleMeta};
use crate::settings::Settings;
use crate::source::Span;
use crate::source_map::SourceId;
use crate::suppress::Suppressions;
use crate::yaml::Node;

mod checks;
mod index;
mod scope;

pub use checks::*;
pub use index::*;
pub use scope::*;
