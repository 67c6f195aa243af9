//! Reading a configuration file: parsing with the project's span tree, validating every key
//! with the span it blames, and applying a file to the settings.

use super::*;

/// An error in a configuration file, with the span it blames.
pub type ConfigError = crate::source::FileError;

impl ConfigError {
    #[must_use]
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::new(
            rules::INVALID_CONFIG.id,
            Severity::Error,
            self.span,
            self.message.clone(),
        )
    }
}

/// A parsed configuration file and the directory its globs are relative to.
#[derive(Clone, Debug)]
pub struct Layer {
    pub path: PathBuf,
    pub dir: PathBuf,
    pub file: ConfigFile,
    pub source: Arc<SourceFile>,
    /// Its `exemptions`, shared by every file it applies to.
    pub exemptions: Option<Arc<crate::settings::exemptions::Exemptions>>,
    /// Its `baseline`, read once.
    pub baseline: Option<Arc<crate::settings::exemptions::Baseline>>,
}

/// Parse and validate a configuration file's text.
pub fn parse_layer(path: &Path, text: String) -> Result<Layer, Vec<ConfigError>> {
    let source = Arc::new(SourceFile::new(path.display().to_string(), text));
    let err = |span: Span, message: String| ConfigError {
        source: Arc::clone(&source),
        span,
        message,
    };
    let mut docs = crate::yaml::documents(&source.text, crate::yaml::Limits::default());
    let doc = match docs.next() {
        None => {
            return Ok(Layer {
                path: path.to_path_buf(),
                dir: absolute(path)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
                file: ConfigFile::default(),
                source: Arc::clone(&source),
                exemptions: None,
                baseline: None,
            });
        }
        Some(Err(e)) => return Err(vec![err(e.span, format!("invalid YAML: {}", e.message))]),
        Some(Ok(doc)) => doc,
    };
    let Some(root) = doc.root() else {
        return Err(vec![err(Span::empty(0), "empty configuration".into())]);
    };
    let value = if root.is_null() {
        serde_json::Value::Object(serde_json::Map::new())
    } else {
        crate::yaml::json::to_json_yaml12(root, 100_000).map_err(|_| {
            vec![err(
                root.span(),
                "the configuration is too large or has a non-scalar key".into(),
            )]
        })?
    };
    let file: ConfigFile = match serde_path_to_error::deserialize(value) {
        Ok(f) => f,
        Err(e) => {
            let steps: Vec<String> = e.path().iter().map(ToString::to_string).collect();
            let path_steps: Vec<Step<'_>> = e
                .path()
                .iter()
                .map(|seg| match seg {
                    serde_path_to_error::Segment::Seq { index } => Step::Index(*index),
                    serde_path_to_error::Segment::Map { key } => Step::Key(key.as_str()),
                    _ => Step::Key(""),
                })
                .collect();
            let inner = e.inner().to_string();
            let (span, message) = describe_serde_error(root, &path_steps, &inner);
            let where_ = if steps.is_empty() {
                String::new()
            } else {
                format!(" at `{}`", steps.join("."))
            };
            return Err(vec![err(span, format!("{message}{where_}"))]);
        }
    };
    let mut layer = Layer {
        path: path.to_path_buf(),
        dir: absolute(path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        file,
        source: Arc::clone(&source),
        exemptions: None,
        baseline: None,
    };
    let mut errors = validate(&layer, root);
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Some(list) = &layer.file.exemptions {
        let specs: Vec<crate::settings::exemptions::ExemptionSpec<'_>> = list
            .iter()
            .enumerate()
            .map(|(i, e)| crate::settings::exemptions::ExemptionSpec {
                daemonsets: e.daemonsets.as_deref().unwrap_or_default(),
                namespaces: e.namespaces.as_deref().unwrap_or_default(),
                containers: e.containers.as_deref().unwrap_or_default(),
                rules: &e.rules,
                reason: &e.reason,
                span: root.span_at(&[Step::Key("exemptions"), Step::Index(i)]),
            })
            .collect();
        layer.exemptions = Some(Arc::new(crate::settings::exemptions::Exemptions::new(
            Arc::clone(&source),
            layer.dir.clone(),
            &specs,
        )));
    }
    if let Some(file) = &layer.file.baseline {
        match crate::settings::exemptions::Baseline::load(&layer.dir.join(file)) {
            Ok(b) => layer.baseline = Some(Arc::new(b)),
            Err((source, list)) => {
                for (span, message) in list {
                    errors.push(ConfigError {
                        source: Arc::clone(&source),
                        span,
                        message,
                    });
                }
                return Err(errors);
            }
        }
    }
    Ok(layer)
}

/// Turn serde's message into a span and a sentence, with "did you mean" for unknown keys.
fn describe_serde_error(
    root: crate::yaml::Node<'_>,
    path: &[Step<'_>],
    inner: &str,
) -> (Span, String) {
    if let Some(rest) = inner.strip_prefix("unknown field `") {
        if let Some((field, expected)) = rest.split_once("`, expected ") {
            let candidates: Vec<&str> = expected
                .split('`')
                .filter(|s| !s.is_empty() && !s.contains(' ') && *s != ",")
                .collect();
            // The unknown key's own span (the path may end with the key itself).
            let parent_path = match path.last() {
                Some(Step::Key(k)) if *k == field => &path[..path.len() - 1],
                _ => path,
            };
            let parent = root.at_path(parent_path).map(|(_, n)| n);
            let span = parent
                .and_then(|p| p.entry(field).map(|(k, _)| k.span()))
                .unwrap_or_else(|| root.span_at(parent_path));
            let hint = did_you_mean(field, candidates.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_else(|| {
                    format!(
                        "; expected one of {}",
                        candidates
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
            return (span, format!("unknown key `{field}`{hint}"));
        }
    }
    (root.span_at(path), inner.to_string())
}

/// Checks serde cannot do: rule ids, globs, versions.
fn validate(layer: &Layer, root: crate::yaml::Node<'_>) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let mut err = |path: &[Step<'_>], message: String| {
        // A path ending in "=key" blames the key itself rather than its value.
        let span = match path.split_last() {
            Some((Step::Key(k), parent)) if k.starts_with('=') => root
                .at_path(parent)
                .and_then(|(_, p)| p.entry(&k[1..]))
                .map_or_else(|| root.span_at(parent), |(key, _)| key.span()),
            _ => root.span_at(path),
        };
        errors.push(ConfigError {
            source: Arc::clone(&layer.source),
            span,
            message,
        });
    };
    let f = &layer.file;
    for key in ["select", "ignore"] {
        let list = if key == "select" {
            &f.select
        } else {
            &f.ignore
        };
        for (i, s) in list.iter().flatten().enumerate() {
            if let Err(m) = Selector::parse(s) {
                err(&[Step::Key(key), Step::Index(i)], m);
            }
        }
    }
    let check_severity_keys =
        |map: &Option<BTreeMap<String, Level>>,
         prefix: &[Step<'_>],
         err: &mut dyn FnMut(&[Step<'_>], String)| {
            for id in map.iter().flat_map(|m| m.keys()) {
                if rules::find(id).is_none() {
                    let marked = format!("={id}");
                    let mut path = prefix.to_vec();
                    path.push(Step::Key(&marked));
                    err(
                        &path,
                        unknown_rule_message(id).replace("rule or category", "rule"),
                    );
                }
            }
        };
    check_severity_keys(&f.severity, &[Step::Key("severity")], &mut err);
    for key in ["include", "exclude"] {
        let list = if key == "include" {
            &f.include
        } else {
            &f.exclude
        };
        if let Some(list) = list {
            if let Err((i, m)) = build_globs(list) {
                err(
                    &[Step::Key(key), Step::Index(i)],
                    format!("invalid glob: {m}"),
                );
            }
        }
    }
    for (o, ov) in f.overrides.iter().flatten().enumerate() {
        if let Err((i, m)) = build_globs(&ov.files) {
            err(
                &[
                    Step::Key("overrides"),
                    Step::Index(o),
                    Step::Key("files"),
                    Step::Index(i),
                ],
                format!("invalid glob: {m}"),
            );
        }
        for (i, s) in ov.ignore.iter().flatten().enumerate() {
            if let Err(m) = Selector::parse(s) {
                err(
                    &[
                        Step::Key("overrides"),
                        Step::Index(o),
                        Step::Key("ignore"),
                        Step::Index(i),
                    ],
                    m,
                );
            }
        }
        check_severity_keys(
            &ov.severity,
            &[
                Step::Key("overrides"),
                Step::Index(o),
                Step::Key("severity"),
            ],
            &mut err,
        );
    }
    if let Some(hp) = f
        .rules
        .as_ref()
        .and_then(|r| r.sensitive_host_path.as_ref())
    {
        for (a, allow) in hp.allow.iter().flatten().enumerate() {
            for (i, g) in allow.daemonsets.iter().enumerate() {
                if let Err(e) = Glob::new(g) {
                    err(
                        &[
                            Step::Key("rules"),
                            Step::Key("sensitive-host-path"),
                            Step::Key("allow"),
                            Step::Index(a),
                            Step::Key("daemonsets"),
                            Step::Index(i),
                        ],
                        format!("invalid glob: {}", e.kind()),
                    );
                }
            }
        }
    }
    for (n, set) in f.cross_sets.iter().flatten().enumerate() {
        if let Err((i, m)) = build_globs(&set.files) {
            err(
                &[
                    Step::Key("cross-sets"),
                    Step::Index(n),
                    Step::Key("files"),
                    Step::Index(i),
                ],
                format!("invalid glob: {m}"),
            );
        }
    }
    for (n, e) in f.exemptions.iter().flatten().enumerate() {
        let at = |key: &'static str| [Step::Key("exemptions"), Step::Index(n), Step::Key(key)];
        for (i, g) in e.daemonsets.iter().flatten().enumerate() {
            if let Err(problem) = Glob::new(g) {
                let [a, b, c] = at("daemonsets");
                err(
                    &[a, b, c, Step::Index(i)],
                    format!("invalid glob: {}", problem.kind()),
                );
            }
        }
        for (i, r) in e.rules.iter().enumerate() {
            if let Err(m) = Selector::parse(r) {
                let [a, b, c] = at("rules");
                err(&[a, b, c, Step::Index(i)], m);
            }
        }
        if e.rules.is_empty() {
            err(
                &at("rules"),
                "an exemption names the rules it hides (ids or categories)".into(),
            );
        }
        if e.reason.trim().is_empty() {
            err(
                &at("reason"),
                "an exemption needs a reason: why these findings are accepted".into(),
            );
        }
    }
    for (key, timeout) in [
        ("helm", f.helm.as_ref().and_then(|h| h.timeout)),
        ("kustomize", f.kustomize.as_ref().and_then(|k| k.timeout)),
    ] {
        if timeout == Some(0) {
            err(
                &[Step::Key(key), Step::Key("timeout")],
                "a timeout is a number of seconds above 0".into(),
            );
        }
    }
    if let Some(sets) = f.helm.as_ref().and_then(|h| h.value_sets.as_ref()) {
        for (chart, named) in sets {
            if named.is_empty() {
                err(
                    &[Step::Key("helm"), Step::Key("value-sets"), Step::Key(chart)],
                    "a chart's value sets name at least one list of values files".into(),
                );
            }
        }
    }
    if let Some(v) = &f.kube_version {
        if let Err(message) = v.parse::<crate::schema::KubeVersion>() {
            err(&[Step::Key("kube-version")], message);
        }
    }
    errors
}

/// Apply a layer on top of `settings`.
pub fn apply_layer(settings: &mut Settings, layer: &Layer) {
    let f = &layer.file;
    let parse_all = |list: &[String]| {
        list.iter()
            .filter_map(|s| Selector::parse(s).ok())
            .collect::<Vec<_>>()
    };
    if let Some(select) = &f.select {
        settings.selection.select = Some(parse_all(select));
    }
    if let Some(ignore) = &f.ignore {
        settings.selection.ignore.extend(parse_all(ignore));
    }
    if let Some(sev) = &f.severity {
        settings
            .selection
            .severity
            .extend(sev.iter().map(|(k, v)| (k.clone(), *v)));
    }
    if let Some(fail_on) = f.fail_on {
        settings.fail_on = fail_on;
    }
    if let Some(format) = f.format {
        settings.format = Some(format);
    }
    if let Some(include) = &f.include {
        settings.include.clone_from(include);
    }
    if let Some(exclude) = &f.exclude {
        settings.exclude.clone_from(exclude);
        settings.exclude_set = build_globs(exclude)
            .ok()
            .map(|set| (layer.dir.clone(), set));
    }
    for ov in f.overrides.iter().flatten() {
        if let Ok(files) = build_globs(&ov.files) {
            settings.per_path.push((
                layer.dir.clone(),
                PathRule {
                    files,
                    patterns: ov.files.clone(),
                    ignore: ov.ignore.as_deref().map(parse_all).unwrap_or_default(),
                    severity: ov.severity.clone().unwrap_or_default(),
                },
            ));
        }
    }
    if let Some(rules) = &f.rules {
        let o = &mut settings.options;
        if let Some(t) = &rules.missing_control_plane_toleration {
            o.control_plane_taints.clone_from(&t.taints);
        }
        if let Some(m) = &rules.aggressive_max_unavailable {
            if let Some(p) = m.max_percent {
                o.max_unavailable_percent = p;
            }
            if let Some(c) = m.max_count {
                o.max_unavailable_count = c;
            }
        }
        let resources = |current: &mut Vec<String>, opts: &ResourceOptions| {
            for (name, flag) in [("cpu", opts.cpu), ("memory", opts.memory)] {
                match flag {
                    Some(true) if !current.iter().any(|r| r == name) => current.push(name.into()),
                    Some(false) => current.retain(|r| r != name),
                    _ => {}
                }
            }
        };
        if let Some(r) = &rules.missing_resource_requests {
            resources(&mut o.required_requests, r);
        }
        if let Some(r) = &rules.missing_resource_limits {
            resources(&mut o.required_limits, r);
        }
        if let Some(hp) = &rules.sensitive_host_path {
            if let Some(paths) = &hp.paths {
                o.sensitive_host_paths =
                    crate::rules::sensitive_host_path::normalize_entries(paths);
            }
            if let Some(allow) = &hp.allow {
                o.host_path_allow.extend(allow.iter().cloned());
            }
        }
        if let Some(pc) = &rules.missing_priority_class {
            o.priority_classes.clone_from(&pc.classes);
        }
        if let Some(psa) = &rules.pod_security_admission {
            o.pod_security_default_level = psa.default_level;
        }
    }
    for p in f.policies.iter().flatten() {
        settings.policies.push(layer.dir.join(p));
    }
    if let Some(v) = f.kube_version.as_deref().and_then(|v| v.parse().ok()) {
        settings.kube_version = v;
    }
    if let Some(scope) = f.cross_scope {
        settings.cross_scope = scope;
    }
    if let Some(e) = &layer.exemptions {
        settings.exemptions.push(Arc::clone(e));
    }
    if let Some(b) = &layer.baseline {
        settings.baseline = Some(Arc::clone(b));
    }
    if let Some(sets) = &f.cross_sets {
        // The nearest configuration file's sets replace those of the files before it.
        settings.cross_sets = sets
            .iter()
            .filter_map(|set| {
                Some(CrossSet {
                    name: set.name.clone(),
                    base: layer.dir.clone(),
                    files: build_globs(&set.files).ok()?,
                })
            })
            .collect();
    }
    let tool = |p: &String| {
        if p.contains('/') {
            layer.dir.join(p)
        } else {
            PathBuf::from(p)
        }
    };
    if let Some(h) = &f.helm {
        let r = &mut settings.render;
        if let Some(p) = &h.path {
            r.helm = Some(tool(p));
        }
        if h.release.is_some() {
            r.release.clone_from(&h.release);
        }
        if h.namespace.is_some() {
            r.namespace.clone_from(&h.namespace);
        }
        if h.timeout.is_some() {
            r.helm_timeout = h.timeout;
        }
        if let Some(sets) = &h.value_sets {
            r.value_sets = sets
                .iter()
                .flat_map(|(chart, named)| {
                    named.iter().map(move |(name, files)| {
                        (
                            layer.dir.join(chart),
                            name.clone(),
                            files.iter().map(|v| layer.dir.join(v)).collect(),
                        )
                    })
                })
                .collect();
        }
    }
    if let Some(k) = &f.kustomize {
        if let Some(p) = &k.path {
            settings.render.kustomize = Some(tool(p));
        }
        if k.timeout.is_some() {
            settings.render.kustomize_timeout = k.timeout;
        }
    }
    settings.config_files.push(layer.path.clone());
    settings.finish();
}
