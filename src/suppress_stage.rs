//! The run's suppression stage: `exemptions` of the configuration file and the baseline
//! (see [`crate::settings::exemptions`]). It runs after the annotations and `# daemonlint:`
//! comments of each document (see [`crate::suppress`]), on every finding a file or the
//! run-level phase produces, whichever way the run goes (whole reports, streamed output,
//! windows of large files, stdin, the language server): [`apply`] marks what it hides and
//! records in the run's [`Tally`] which entries matched; [`unused`] reports, once the run is
//! over, the exemptions that silenced nothing and the baseline entries that matched nothing.
//!
//! The settings say what is accepted and never change; the tally is the run's own, so the
//! files of a run may be linted in parallel and a second run (after `--fix` writes) starts
//! afresh.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::settings::exemptions::{
    fingerprint, recordable, relative_to, Baseline, Exemptions, InPlay, BASELINE_VERSION,
};
use crate::settings::Settings;
use crate::source::{SourceFile, Span};
use crate::suppress::Suppressed;

/// Which exemptions and baseline entries a run matched, and which files it linted.
#[derive(Default)]
pub struct Tally {
    marks: Mutex<Marks>,
}

#[derive(Default)]
struct Marks {
    /// Each exemption list met, with each entry's marks.
    exemptions: Vec<(Arc<Exemptions>, Vec<Mark>)>,
    /// Each baseline met: the entries that matched, and the files (relative to its directory)
    /// the run linted.
    baselines: Vec<(Arc<Baseline>, Vec<bool>, HashSet<String>)>,
}

#[derive(Clone, Copy, Default)]
struct Mark {
    /// It hid a finding.
    used: bool,
    /// It selects a DaemonSet the run linted.
    selected: bool,
}

impl Marks {
    fn of_exemptions(&mut self, set: &Arc<Exemptions>) -> &mut Vec<Mark> {
        let at = match self
            .exemptions
            .iter()
            .position(|(s, _)| Arc::ptr_eq(s, set))
        {
            Some(at) => at,
            None => {
                self.exemptions
                    .push((Arc::clone(set), vec![Mark::default(); set.entries.len()]));
                self.exemptions.len() - 1
            }
        };
        &mut self.exemptions[at].1
    }

    fn of_baseline(&mut self, b: &Arc<Baseline>) -> (&mut Vec<bool>, &mut HashSet<String>) {
        let at = match self.baselines.iter().position(|(x, ..)| Arc::ptr_eq(x, b)) {
            Some(at) => at,
            None => {
                self.baselines
                    .push((Arc::clone(b), vec![false; b.entries.len()], HashSet::new()));
                self.baselines.len() - 1
            }
        };
        let (_, used, seen) = &mut self.baselines[at];
        (used, seen)
    }
}

/// Hide the findings of the file named `name` (as displayed) that an exemption or the
/// baseline of `settings` covers, and record in `tally` what matched; `daemonsets` are the
/// DaemonSets the file holds (an exemption that selects one of them and hides nothing is
/// reported as unused).
pub fn apply(
    settings: &Settings,
    tally: &Tally,
    name: &str,
    daemonsets: &[crate::findings::LintedObject],
    diagnostics: &mut [Diagnostic],
) {
    if settings.exemptions.is_empty() && settings.baseline.is_none() {
        return;
    }
    // What matched, worked out first (fingerprints are hashes), then recorded under the lock
    // at once, so that the files of a run linted in parallel do not wait on one another.
    // (list, entry, hid a finding)
    let mut matched: Vec<(usize, usize, bool)> = Vec::new();
    for (k, set) in settings.exemptions.iter().enumerate() {
        for (i, e) in set.entries.iter().enumerate() {
            if daemonsets.iter().any(|ds| e.selects(&ds.object)) {
                matched.push((k, i, false));
            }
        }
        for d in diagnostics.iter_mut().filter(|d| d.suppressed.is_none()) {
            let category = rules::find(&d.rule).map(|m| m.category);
            if let Some(i) = set.entries.iter().position(|e| e.hides(d, category)) {
                matched.push((k, i, true));
                d.suppressed = Some(Suppressed {
                    kind: "exemption",
                    reason: Some(set.entries[i].reason.clone()),
                });
            }
        }
    }
    let mut recorded: Vec<usize> = Vec::new();
    let file = settings.baseline.as_ref().map(|baseline| {
        let file = relative_to(&baseline.dir, name);
        for d in diagnostics
            .iter_mut()
            .filter(|d| d.suppressed.is_none() && recordable(d))
        {
            let Some(i) = baseline.find(&fingerprint(&file, d)) else {
                continue;
            };
            recorded.push(i);
            d.suppressed = Some(Suppressed {
                kind: "baseline",
                reason: Some(format!("recorded in {}", baseline.source.name)),
            });
        }
        file
    });
    let Ok(mut marks) = tally.marks.lock() else {
        return;
    };
    for (k, set) in settings.exemptions.iter().enumerate() {
        let marks = marks.of_exemptions(set);
        for &(_, i, used) in matched.iter().filter(|m| m.0 == k) {
            if let Some(mark) = marks.get_mut(i) {
                mark.selected = true;
                mark.used |= used;
            }
        }
    }
    if let (Some(baseline), Some(file)) = (&settings.baseline, file) {
        let (used, seen) = marks.of_baseline(baseline);
        for i in recorded {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
        }
        seen.insert(file);
    }
}

/// After the run: exemptions that silenced nothing and baseline entries that matched nothing,
/// as `unused-suppression` findings in the configuration and baseline files. `in_play` holds
/// every exemption list and baseline of the settings the run built; `tally`, what it matched.
///
/// An exemption is reported when it selects a DaemonSet the run linted, or when the run
/// walked a directory holding its configuration file (`covers`): a run over a few files
/// (pre-commit, an editor) does not see the DaemonSets the others exempt. A baseline entry is
/// reported when its file no longer exists, or was linted (for a run-level finding, which
/// depends on other files, when the run walked the baseline's directory).
#[must_use]
pub fn unused(
    in_play: &InPlay,
    tally: &Tally,
    settings: &Settings,
    covers: &dyn Fn(&Path) -> bool,
) -> Vec<crate::outcome::FileReport> {
    let Some(severity) = settings.severity_of(&rules::UNUSED_SUPPRESSION) else {
        return Vec::new();
    };
    let Ok(mut marks) = tally.marks.lock() else {
        return Vec::new();
    };
    let mut files: BTreeMap<String, (Arc<SourceFile>, Vec<Diagnostic>)> = BTreeMap::new();
    let mut push = |source: &Arc<SourceFile>, span: Span, message: String| {
        let d = Diagnostic::new(rules::UNUSED_SUPPRESSION.id, severity, span, message);
        files
            .entry(source.name.clone())
            .or_insert_with(|| (Arc::clone(source), Vec::new()))
            .1
            .push(d);
    };
    for set in &in_play.exemptions {
        let whole = covers(&set.dir);
        let marks = marks.of_exemptions(set);
        for (e, mark) in set.entries.iter().zip(marks.iter()) {
            if mark.used || !(whole || mark.selected) {
                continue;
            }
            push(
                &set.source,
                e.span,
                "this exemption silences nothing: no finding of the linted DaemonSets matches it; remove it (or fix its globs) so stale exceptions do not pile up".into(),
            );
        }
    }
    for b in &in_play.baselines {
        let whole = covers(&b.dir);
        let (used, seen) = marks.of_baseline(b);
        for (entry, used) in b.entries.iter().zip(used.iter()) {
            if *used {
                continue;
            }
            let gone = !entry.file.is_empty() && !b.dir.join(&entry.file).exists();
            // A run-level finding depends on the other files of its scope: a run over some
            // files only (stdin, pre-commit) may not see them.
            let alone = rules::is_run_level(&entry.rule) || entry.rule == "missing-priority-class";
            if !(gone || seen.contains(&entry.file) && (whole || !alone)) {
                continue;
            }
            let what = if gone {
                "its file no longer exists"
            } else {
                "the finding was fixed or its object moved"
            };
            push(
                &b.source,
                entry.span,
                format!(
                    "this baseline entry (`{}` in {}) matches no finding: {what}; rewrite the baseline with `--write-baseline` so it only shrinks",
                    entry.rule, entry.file
                ),
            );
        }
    }
    files
        .into_values()
        .map(|(source, mut diagnostics)| {
            diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
            crate::outcome::FileReport::findings(
                SourceFile::new(source.name.clone(), source.text.clone()),
                diagnostics,
            )
        })
        .collect()
}

/// The text of a baseline file recording the active findings of `report` (hidden ones aside),
/// with file names relative to `dir`: one entry a line, sorted, each fingerprint once.
#[must_use]
pub fn write(report: &crate::outcome::Report, dir: &Path) -> (String, usize) {
    let mut entries: BTreeSet<(String, String, String, String, String)> = BTreeSet::new();
    for (file, d) in report.active() {
        if !recordable(d) || file.io_error {
            continue;
        }
        let name = relative_to(dir, &file.source.name);
        let object = d.object.as_deref().map_or_else(String::new, |o| {
            let mut s = o.kind.clone();
            s.push(' ');
            if let Some(ns) = &o.namespace {
                s.push_str(ns);
                s.push('/');
            }
            s.push_str(o.name.as_deref().unwrap_or_default());
            s
        });
        let fp = fingerprint(&name, d);
        entries.insert((
            name,
            object,
            d.rule.to_string(),
            d.path.clone().unwrap_or_default(),
            fp,
        ));
    }
    let mut out = format!("{{\n  \"version\": {BASELINE_VERSION},\n  \"findings\": [");
    let count = entries.len();
    for (i, (file, object, rule, path, fingerprint)) in entries.into_iter().enumerate() {
        let line = serde_json::json!({
            "file": file,
            "object": object,
            "rule": rule,
            "path": path,
            "fingerprint": fingerprint,
        });
        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
        out.push_str(&line.to_string());
    }
    out.push_str(if count == 0 { "]\n}\n" } else { "\n  ]\n}\n" });
    (out, count)
}
