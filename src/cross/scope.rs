//! Which indexes each file's DaemonSets are compared with.

use super::*;

/// A file index and the file it came from (`None`: a `--namespaces` file, not reported on).
#[derive(Clone, Copy)]
pub struct Indexed<'a> {
    pub file: Option<usize>,
    pub name: &'a str,
    /// The file's source in the run's table, which labels on its objects name (`None` when
    /// the checks see only one file, whose labels never point elsewhere).
    pub source: Option<crate::source_map::SourceId>,
    pub index: &'a FileIndex,
    /// Seen by every scope (a `--namespaces` file), not only by its own.
    pub shared: bool,
    /// A rendering of one value set of a chart: `(entry, set)`. The value sets of one chart
    /// are alternative deployments, so their objects are never compared with each other.
    pub rendering: Option<(&'a str, &'a str)>,
}

/// Which indexes each file's DaemonSets are compared with: the files of the same scope (see
/// [`crate::settings::CrossScope`]) and the shared ones. Each file's scope is decided by its own
/// settings, once per run.
pub struct Scopes {
    keys: Vec<String>,
    groups: std::collections::HashMap<String, Vec<usize>>,
    shared: Vec<usize>,
}

impl Scopes {
    /// The scope of every index, `settings` giving the settings of the file at a position.
    pub fn of<'s>(
        indexes: &[Indexed<'_>],
        settings: &dyn Fn(usize) -> crate::settings::SettingsRef<'s>,
    ) -> Self {
        let mut groups: std::collections::HashMap<String, Vec<usize>> =
            std::collections::HashMap::new();
        let mut shared = Vec::new();
        let mut keys = Vec::with_capacity(indexes.len());
        for (i, ix) in indexes.iter().enumerate() {
            let key = match ix.file {
                Some(file) => settings(file).cross_scope_key(ix.name),
                None => String::new(),
            };
            if ix.shared {
                shared.push(i);
            } else {
                groups.entry(key.clone()).or_default().push(i);
            }
            keys.push(key);
        }
        Self {
            keys,
            groups,
            shared,
        }
    }

    /// The indexes the DaemonSets of index `i` are compared with (not the other value sets
    /// of its own chart).
    #[must_use]
    pub fn members<'a>(&self, indexes: &[Indexed<'a>], i: usize) -> Vec<Indexed<'a>> {
        let own = self.keys.get(i).and_then(|k| self.groups.get(k));
        let mut out: Vec<usize> = own.cloned().unwrap_or_default();
        out.extend(self.shared.iter().copied());
        out.sort_unstable();
        out.dedup();
        let rendering = indexes.get(i).and_then(|ix| ix.rendering);
        out.into_iter()
            .filter_map(|j| indexes.get(j).copied())
            .filter(|other| match (rendering, other.rendering) {
                (Some((entry, set)), Some((other_entry, other_set))) => {
                    entry != other_entry || set == other_set
                }
                _ => true,
            })
            .collect()
    }
}
