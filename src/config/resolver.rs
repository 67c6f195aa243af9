//! The settings of each file: the command line's overrides and the [`Resolver`], which finds
//! the configuration file that applies to a path (walking up from it) and caches what it built.

use super::*;

/// Settings given on the command line: the last layer.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub select: Option<Vec<Selector>>,
    pub ignore: Vec<Selector>,
    pub severity: Vec<(String, Level)>,
    pub fail_on: Option<FailOn>,
    pub exclude: Vec<String>,
    pub policies: Vec<PathBuf>,
    pub kube_version: Option<crate::schema::KubeVersion>,
    /// `--max-file-size`.
    pub max_file_size: Option<u64>,
    /// `--baseline FILE`.
    pub baseline: Option<Arc<crate::settings::exemptions::Baseline>>,
    /// `--write-baseline`: no baseline hides anything (the new one records every finding).
    pub no_baseline: bool,
}

impl Overrides {
    fn apply(&self, settings: &mut Settings) {
        if let Some(select) = &self.select {
            settings.selection.select = Some(select.clone());
        }
        settings
            .selection
            .ignore
            .extend(self.ignore.iter().cloned());
        settings
            .selection
            .severity
            .extend(self.severity.iter().cloned());
        if let Some(f) = self.fail_on {
            settings.fail_on = f;
        }
        if let Some(max) = self.max_file_size {
            settings.max_file_size = max;
        }
        if !self.exclude.is_empty() {
            settings.exclude.extend(self.exclude.iter().cloned());
            let cwd = absolute(Path::new("."));
            let cwd = cwd.parent().map(Path::to_path_buf).unwrap_or(cwd);
            settings.exclude_set = build_globs(&settings.exclude).ok().map(|set| {
                let base = settings
                    .exclude_set
                    .as_ref()
                    .map_or(cwd, |(b, _)| b.clone());
                (base, set)
            });
        }
        settings.policies.extend(self.policies.iter().cloned());
        if let Some(v) = self.kube_version {
            settings.kube_version = v;
        }
        if let Some(b) = &self.baseline {
            settings.baseline = Some(Arc::clone(b));
        }
        if self.no_baseline {
            settings.baseline = None;
        }
        settings.finish();
    }
}

/// Finds and caches the settings that apply to each file.
pub struct Resolver {
    overrides: Overrides,
    explicit: Option<Layer>,
    isolated: bool,
    cache: Mutex<HashMap<PathBuf, Option<Arc<Layer>>>>,
    /// Settings built per applicable configuration file (keyed by its path): layers are
    /// applied and globs compiled once, not once per linted file.
    built: Mutex<HashMap<Option<PathBuf>, Arc<Settings>>>,
    errors: Mutex<Vec<ConfigError>>,
}

impl Resolver {
    /// `explicit` is `--config FILE`; `isolated` ignores every configuration file.
    pub fn new(
        overrides: Overrides,
        explicit: Option<&Path>,
        isolated: bool,
    ) -> Result<Self, Vec<ConfigError>> {
        let explicit = match explicit {
            Some(path) if !isolated => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    vec![ConfigError {
                        source: Arc::new(SourceFile::new(
                            path.display().to_string(),
                            String::new(),
                        )),
                        span: Span::empty(0),
                        message: format!("cannot read the configuration file: {e}"),
                    }]
                })?;
                Some(parse_layer(path, text)?)
            }
            _ => None,
        };
        Ok(Self {
            overrides,
            explicit,
            isolated,
            cache: Mutex::new(HashMap::new()),
            built: Mutex::new(HashMap::new()),
            errors: Mutex::new(Vec::new()),
        })
    }

    /// The exemption lists and baselines of every settings built so far, for
    /// [`crate::suppress_stage::unused`].
    #[must_use]
    pub fn in_play(&self) -> crate::settings::exemptions::InPlay {
        let mut in_play = crate::settings::exemptions::InPlay::default();
        if let Ok(built) = self.built.lock() {
            for settings in built.values() {
                in_play.add(settings);
            }
        }
        in_play
    }

    /// Errors met in discovered configuration files.
    pub fn take_errors(&self) -> Vec<ConfigError> {
        self.errors
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }

    /// The configuration file nearest to `dir` (walking up), parsed once.
    fn nearest(&self, dir: &Path) -> Option<Arc<Layer>> {
        if let Ok(cache) = self.cache.lock() {
            if let Some(hit) = cache.get(dir) {
                return hit.clone();
            }
        }
        let found = CONFIG_NAMES
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file());
        let layer = match found {
            Some(path) => match std::fs::read_to_string(&path) {
                Ok(text) => match parse_layer(&path, text) {
                    Ok(layer) => Some(Arc::new(layer)),
                    Err(errs) => {
                        if let Ok(mut e) = self.errors.lock() {
                            e.extend(errs);
                        }
                        None
                    }
                },
                Err(_) => None,
            },
            None => dir.parent().and_then(|p| self.nearest(p)),
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(dir.to_path_buf(), layer.clone());
        }
        layer
    }

    /// The settings for a file (or for the working directory when `path` is `None`).
    #[must_use]
    pub fn settings_for(&self, path: Option<&Path>) -> Settings {
        (*self.shared_for(path)).clone()
    }

    /// The settings for a file, shared with the other files of its configuration (a copy
    /// only when `per-path` rules apply to it).
    #[must_use]
    pub fn shared_for(&self, path: Option<&Path>) -> Arc<Settings> {
        let layer = if self.isolated {
            None
        } else {
            let dir = path
                .map(absolute)
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .unwrap_or_else(|| absolute(Path::new(".")));
            self.nearest(&dir)
                .or_else(|| self.nearest(&absolute(Path::new("."))))
        };
        let key = layer.as_ref().map(|l| l.path.clone());
        let cached = self
            .built
            .lock()
            .ok()
            .and_then(|b| b.get(&key).map(Arc::clone));
        let settings = cached.unwrap_or_else(|| {
            let mut settings = Settings::default();
            if !self.isolated {
                if let Some(layer) = &layer {
                    apply_layer(&mut settings, layer);
                }
                if let Some(explicit) = &self.explicit {
                    apply_layer(&mut settings, explicit);
                }
            }
            self.overrides.apply(&mut settings);
            let settings = Arc::new(settings);
            if let Ok(mut built) = self.built.lock() {
                built.insert(key, Arc::clone(&settings));
            }
            settings
        });
        match path {
            Some(p) if !settings.per_path.is_empty() => Arc::new(settings.for_file(p)),
            _ => settings,
        }
    }
}
