//! The run-level rules: `pod-security-admission`, `missing-service-account`,
//! `cluster-admin-binding`, `missing-config-reference` and the priority class check, over the
//! indexes of a DaemonSet's scope.

use super::*;

/// One run-level finding before it is stamped.
struct Finding {
    meta: &'static RuleMeta,
    severity: Option<Severity>,
    span: Span,
    message: String,
    help: String,
    labels: Vec<Label>,
}

/// A label on an object of the index of `file`: in the finding's own file when that is `own`,
/// else naming its source.
fn label(file: Option<SourceId>, own: Option<SourceId>, span: Span, message: String) -> Label {
    let l = Label::new(span, message);
    match file {
        Some(file) if Some(file) != own => l.in_file(file),
        _ => l,
    }
}

/// The suppression stage of the run (exemptions, the baseline), applied to the run-level
/// findings of each DaemonSet with its file's settings and name.
pub type Stage<'a> = dyn Fn(&Settings, &str, &mut [Diagnostic]) + 'a;

/// Run the run-level checks over every index and append the findings to their files.
/// `settings` gives each file's settings by position in `files`.
pub fn check<'s>(
    files: &mut [FileReport],
    indexes: &[Indexed<'_>],
    settings: &dyn Fn(usize) -> crate::settings::SettingsRef<'s>,
    stage: &Stage<'_>,
) {
    let scopes = Scopes::of(indexes, settings);
    for (i, ix) in indexes.iter().enumerate() {
        let Some(file) = ix.file else { continue };
        if ix.index.daemonsets.is_empty() {
            continue;
        }
        let Some(report) = files.get_mut(file) else {
            continue;
        };
        let scoped = scopes.members(indexes, i);
        let mut out = check_daemonsets(
            &ix.index.daemonsets,
            ix.name,
            ix.source,
            &scoped,
            &settings(file),
            stage,
        );
        if !out.is_empty() {
            // Sorted once per file (sorting after every DaemonSet was quadratic on large
            // multi-document files).
            report.diagnostics.append(&mut out);
            report
                .diagnostics
                .sort_by_key(|d| (d.span.start, d.span.end));
        }
    }
}

/// The run-level findings of DaemonSets of the file named `own` (the run's source
/// `own_source`; `None` when every index is that file's own), against the objects of every
/// index given (only their objects other than DaemonSets are read): the indexes of its scope
/// (see [`Scopes`]).
#[must_use]
pub fn check_daemonsets(
    daemonsets: &[DaemonSetEntry],
    own: &str,
    own_source: Option<SourceId>,
    indexes: &[Indexed<'_>],
    settings: &Settings,
    stage: &Stage<'_>,
) -> Vec<Diagnostic> {
    let mut all = Vec::new();
    for ds in daemonsets {
        let mut found = Vec::new();
        admission(ds, own_source, indexes, settings, &mut found);
        service_account(ds, indexes, &mut found);
        cluster_admin(ds, own_source, indexes, &mut found);
        config_refs_check(ds, indexes, &mut found);
        priority_class(ds, indexes, settings, &mut found);
        let mut out = Vec::new();
        for f in found {
            let Some(default) = settings.severity_of(f.meta) else {
                continue;
            };
            let configured = settings.severity_configured(f.meta.id, f.meta.default_severity);
            let mut d = Diagnostic::new(
                f.meta.id,
                match f.severity {
                    Some(own) if !configured => own,
                    _ => default,
                },
                f.span,
                f.message,
            );
            d.help = Some(f.help.into());
            d.labels = f.labels;
            d.document = ds.document;
            d.object = Some(std::sync::Arc::clone(&ds.object));
            out.push(d);
        }
        for s in &ds.suppressions {
            s.clone().apply(&mut out);
        }
        stage(settings, own, &mut out);
        all.append(&mut out);
    }
    all
}

/// Whether DaemonSets under `settings` can have run-level findings in this run: only when
/// the files define objects the checks compare them with (Namespaces, ServiceAccounts,
/// bindings, ConfigMaps, Secrets), or a Pod Security level applies to every namespace.
#[must_use]
pub fn may_find(indexes: &[Indexed<'_>], settings: &Settings) -> bool {
    settings.options.pod_security_default_level != Level::Privileged
        || indexes.iter().any(|ix| {
            let i = ix.index;
            i.looks_up_priority_class
                || !(i.namespaces.is_empty()
                    && i.service_accounts.is_empty()
                    && i.bindings.is_empty()
                    && i.config_maps.is_empty()
                    && i.secrets.is_empty())
        })
}

const PREFIX: &str = "pod-security.kubernetes.io/";

fn admission(
    ds: &DaemonSetEntry,
    own: Option<SourceId>,
    indexes: &[Indexed<'_>],
    settings: &Settings,
    out: &mut Vec<Finding>,
) {
    let ns_name = ds.effective_namespace();
    let namespace = indexes.iter().find_map(|ix| {
        ix.index
            .namespaces
            .iter()
            .find(|n| n.name == ns_name)
            .map(|n| (ix.source, n))
    });
    // (mode, level, where the level comes from: file, span, description)
    type Origin = Option<(Option<SourceId>, Span, String)>;
    let mut modes: Vec<(&str, Level, Origin)> = Vec::new();
    match namespace {
        Some((file, ns)) => {
            let any = ["enforce", "warn", "audit"]
                .iter()
                .any(|m| ns.labels.contains_key(&format!("{PREFIX}{m}")));
            for mode in ["enforce", "warn", "audit"] {
                let Some((value, span)) = ns.labels.get(&format!("{PREFIX}{mode}")) else {
                    continue;
                };
                let Some(level) = Level::parse(value) else {
                    continue;
                };
                let version = ns
                    .labels
                    .get(&format!("{PREFIX}{mode}-version"))
                    .map_or("latest", |(v, _)| v.as_str());
                modes.push((
                    mode,
                    level,
                    Some((file, *span, format!("{mode}: {level} (version {version})"))),
                ));
            }
            if !any {
                let level = settings.options.pod_security_default_level;
                modes.push((
                    "enforce",
                    level,
                    Some((
                        file,
                        ns.span,
                        format!("no pod-security labels: the cluster default `{level}` applies"),
                    )),
                ));
            }
        }
        None => {
            // Only namespaces in the linted set are known; a namespace defined elsewhere may
            // carry labels we cannot see, so only the configured default applies.
            let level = settings.options.pod_security_default_level;
            if level != Level::Privileged {
                modes.push(("enforce", level, None));
            }
        }
    }
    for (mode, level, origin) in modes {
        let violations: Vec<&pss::Finding> =
            ds.pss.iter().filter(|f| pss::violates(f, level)).collect();
        if violations.is_empty() {
            continue;
        }
        let mut list: Vec<String> = Vec::new();
        for v in &violations {
            if !list.contains(&v.what) {
                list.push(v.what.clone());
            }
        }
        let shown = list.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
        let more = if list.len() > 6 {
            format!(" and {} more", list.len() - 6)
        } else {
            String::new()
        };
        let (verb, severity) = match mode {
            "enforce" => ("will be rejected", Severity::Error),
            "warn" => (
                "will be admitted with a warning to the user",
                Severity::Warning,
            ),
            _ => (
                "will be admitted and recorded in the audit log",
                Severity::Warning,
            ),
        };
        let mut labels: Vec<Label> = violations
            .iter()
            .take(6)
            .map(|v| Label::new(v.span, format!("{} ({} control)", v.what, v.control.name)))
            .collect();
        if let Some((file, span, text)) = origin {
            labels.insert(
                0,
                label(file, own, span, format!("namespace `{ns_name}`: {text}")),
            );
        }
        out.push(Finding {
            meta: &rules::POD_SECURITY_ADMISSION,
            severity: Some(severity),
            span: ds.namespace_span,
            message: format!(
                "this DaemonSet's pods {verb} in namespace {ns_name} ({mode}: {level}): {shown}{more}"
            ),
            help: format!(
                "make the pod template satisfy the `{level}` level (turn on the `pss-*` rules to see each control), or run the DaemonSet in a namespace whose `pod-security.kubernetes.io/{mode}` level allows it (node agents usually live in a `privileged` namespace)"
            ),
            labels,
        });
    }
}

fn service_account(ds: &DaemonSetEntry, indexes: &[Indexed<'_>], out: &mut Vec<Finding>) {
    let Some((name, span)) = &ds.service_account else {
        return;
    };
    let ns = ds.effective_namespace();
    let in_ns = |n: &Named| n.namespace.as_deref().unwrap_or("default") == ns;
    let all: Vec<&Named> = indexes
        .iter()
        .flat_map(|ix| ix.index.service_accounts.iter())
        .filter(|n| in_ns(n))
        .collect();
    if all.is_empty() || all.iter().any(|n| &n.name == name) {
        return;
    }
    let known: Vec<String> = all
        .iter()
        .take(5)
        .map(|n| format!("`{}`", n.name))
        .collect();
    out.push(Finding {
        meta: &rules::MISSING_SERVICE_ACCOUNT,
        severity: None,
        span: *span,
        message: format!(
            "ServiceAccount `{name}` is not among the ServiceAccounts these files define in namespace {ns} ({}): if it does not exist in the cluster, the DaemonSet controller cannot create a single pod",
            known.join(", ")
        ),
        help: "add the ServiceAccount to the manifests, or fix the name (a typo is the usual cause)".into(),
        labels: Vec::new(),
    });
}

fn cluster_admin(
    ds: &DaemonSetEntry,
    own: Option<SourceId>,
    indexes: &[Indexed<'_>],
    out: &mut Vec<Finding>,
) {
    let sa = ds.service_account_name();
    let ns = ds.effective_namespace();
    for ix in indexes {
        for b in &ix.index.bindings {
            let binds = b.service_accounts.iter().any(|(n, subject_ns)| {
                n == sa
                    && subject_ns
                        .as_deref()
                        .or(b.namespace.as_deref())
                        .unwrap_or("default")
                        == ns
            });
            if !binds {
                continue;
            }
            let admin = b.role_kind == "ClusterRole" && b.role_name == "cluster-admin";
            let wildcard = indexes.iter().find_map(|rx| {
                rx.index
                    .roles
                    .iter()
                    .find(|r| {
                        r.wildcard
                            && r.kind == b.role_kind
                            && r.name == b.role_name
                            && (r.kind == "ClusterRole" || r.namespace == b.namespace)
                    })
                    .map(|r| (rx.source, r))
            });
            if !admin && wildcard.is_none() {
                continue;
            }
            let what = if admin {
                "`cluster-admin`".to_string()
            } else {
                format!(
                    "{} `{}` (`*` verbs on `*` resources)",
                    b.role_kind, b.role_name
                )
            };
            let mut labels = vec![label(
                ix.source,
                own,
                b.role_ref_span,
                format!("{} `{}` grants {what} here", b.kind, b.name),
            )];
            if let Some((file, r)) = wildcard {
                labels.push(label(
                    file,
                    own,
                    r.span,
                    format!(
                        "{} `{}` allows every verb on every resource",
                        r.kind, r.name
                    ),
                ));
            }
            let span = ds.service_account.as_ref().map_or(ds.pod_span, |(_, s)| *s);
            out.push(Finding {
                meta: &rules::CLUSTER_ADMIN_BINDING,
                severity: None,
                span,
                message: format!(
                    "ServiceAccount `{sa}` of this DaemonSet is bound to {what} by {} `{}`: every node then holds cluster-admin credentials, and one compromised node owns the cluster",
                    b.kind, b.name
                ),
                help: "bind a role that grants only what the agent needs (e.g. `get`/`list`/`watch` on the resources it reads)".into(),
                labels,
            });
        }
    }
}

fn config_refs_check(ds: &DaemonSetEntry, indexes: &[Indexed<'_>], out: &mut Vec<Finding>) {
    let ns = ds.effective_namespace();
    for r in &ds.refs {
        let defined: Vec<&Named> = indexes
            .iter()
            .flat_map(|ix| {
                if r.kind == "ConfigMap" {
                    ix.index.config_maps.iter()
                } else {
                    ix.index.secrets.iter()
                }
            })
            .filter(|n| n.namespace.as_deref().unwrap_or("default") == ns)
            .collect();
        if defined.is_empty() || defined.iter().any(|n| n.name == r.name) {
            continue;
        }
        out.push(Finding {
            meta: &rules::MISSING_CONFIG_REFERENCE,
            severity: None,
            span: r.span,
            message: format!(
                "{} `{}` ({}) is not among the {}s these files define in namespace {ns}: pods that need a missing {} stay in ContainerCreating (or CreateContainerConfigError) on every node",
                r.kind, r.name, r.site, r.kind, r.kind
            ),
            help: format!(
                "add the {} to the manifests, fix the name, or mark the reference `optional: true` if the agent runs without it",
                r.kind
            ),
            labels: Vec::new(),
        });
    }
}

fn priority_class(
    ds: &DaemonSetEntry,
    indexes: &[Indexed<'_>],
    settings: &Settings,
    out: &mut Vec<Finding>,
) {
    let Some((name, span)) = &ds.priority_class else {
        return;
    };
    // The configured classes may differ between the file that indexed the DaemonSet and now
    // (they do not: both are the file's settings), and built-in classes are the rule's own.
    if settings.options.priority_classes.iter().any(|c| c == name) {
        return;
    }
    let defined = indexes
        .iter()
        .flat_map(|ix| ix.index.priority_classes.iter())
        .any(|p| &p.name == name);
    if defined {
        return;
    }
    let built_in: Vec<String> = rules::missing_priority_class::BUILT_IN
        .iter()
        .map(|c| format!("`{c}`"))
        .collect();
    out.push(Finding {
        meta: &rules::missing_priority_class::RULE.meta,
        severity: Some(Severity::Info),
        span: *span,
        message: format!(
            "priorityClassName `{name}` is neither built in ({}) nor a PriorityClass these files define: if the cluster has no such class, the API server rejects every pod of this DaemonSet; if it has one, it must rank as high as `system-node-critical` or ordinary workloads can crowd the agent off a full node",
            built_in.join(", ")
        ),
        help: format!(
            "use `system-node-critical`, add the PriorityClass `{name}` to the manifests, or add `{name}` to the `classes` option of `missing-priority-class` if the cluster defines it"
        ),
        labels: Vec::new(),
    });
}
