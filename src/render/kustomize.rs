//! Kustomize: which kustomizations of a tree are entry points, which files they use (linted
//! through them, never alone), building one with the real tool (`kubectl kustomize`, or a
//! `kustomize` binary) and the map from the built text back to the line that set each field
//! ([`KustomizeMap`]).
//!
//! Remote resources (URLs, `github.com/...`) are never fetched: each is a [`RenderError`] at its
//! line, and the build runs on a copy of the kustomizations without them, so the local rest is
//! still linted.

#[path = "kustomize_map.rs"]
mod map;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use map::{parse_docs, Generator, ImageEntry, Kust, Pair, Patch, Resource, Target, YKind, Y};
pub use map::{GeneratedName, KustomizeMap};

use super::tool::{self, ToolError};
use super::{RenderError, RenderInfo, RenderKind, Rendered};
use crate::source::Span;
use crate::source_map::{Mapped, Origin, Precision, SourceId, SourceMap, Sources};

/// The names kustomize reads a kustomization from, in its order of preference.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The kustomization file of a directory, if it has one.
#[must_use]
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// Whether a file is a kustomization file by its name.
#[must_use]
pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| KUSTOMIZATION_FILES.contains(&n))
}

/// Whether a resource entry names something remote (never fetched).
#[must_use]
pub fn is_remote(entry: &str) -> bool {
    let entry = entry.trim();
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.contains("?ref=")
        || entry.contains(".git//")
}

/// The kustomizations of a tree and how they use each other.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// Every kustomization directory found, sorted.
    pub kustomizations: Vec<PathBuf>,
    /// The ones to build: no other kustomization of the tree uses them (overlays, and bases no
    /// overlay uses). Components are never entry points.
    pub entries: Vec<PathBuf>,
    /// Every file a kustomization of the tree uses (resources, patches, components' files,
    /// generators' files, the kustomization files themselves), canonicalized: lint these
    /// through their entry points only, never as standalone objects.
    pub used: BTreeSet<PathBuf>,
    /// Kustomization directories used by another kustomization, with the users.
    pub used_by: BTreeMap<PathBuf, Vec<PathBuf>>,
    /// The files each kustomization directory names directly (its kustomization file too).
    pub files_of: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
}

impl Tree {
    /// The entry points whose build reads `file` (a base, a patch, a kustomization): what the
    /// language server re-lints when the file changes.
    #[must_use]
    pub fn entries_using(&self, file: &Path) -> Vec<PathBuf> {
        let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        let mut users: BTreeSet<PathBuf> = self
            .files_of
            .iter()
            .filter(|(_, files)| files.contains(&file))
            .map(|(dir, _)| dir.clone())
            .collect();
        // Up through every kustomization that uses one of them.
        let mut queue: Vec<PathBuf> = users.iter().cloned().collect();
        while let Some(dir) = queue.pop() {
            for user in self.used_by.get(&dir).into_iter().flatten() {
                if users.insert(user.clone()) {
                    queue.push(user.clone());
                }
            }
        }
        self.entries
            .iter()
            .filter(|e| users.contains(*e))
            .cloned()
            .collect()
    }

    /// Whether a file of the walk is used by a kustomization (so not linted alone).
    #[must_use]
    pub fn uses(&self, file: &Path) -> bool {
        let canonical = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        self.used.contains(&canonical)
    }
}

/// What one kustomization file names, read without building.
#[derive(Debug, Default)]
struct Refs {
    /// Local files (resources, patches, generator inputs, ...).
    files: Vec<PathBuf>,
    /// Local directories (bases, components).
    dirs: Vec<PathBuf>,
    component: bool,
}

/// Every local path a kustomization names.
fn refs(dir: &Path, doc: &Y) -> Refs {
    let mut out = Refs {
        component: doc.get_str("kind") == Some("Component"),
        ..Refs::default()
    };
    let mut add = |entry: &str| {
        let entry = entry.trim();
        if entry.is_empty() || is_remote(entry) || entry.contains('\n') {
            return;
        }
        // `key=path` in generators.
        let entry = entry.split_once('=').map_or(entry, |(_, p)| p);
        let path = dir.join(entry);
        if path.is_dir() {
            out.dirs.push(path);
        } else {
            out.files.push(path);
        }
    };
    for list in [
        "resources",
        "bases",
        "components",
        "patchesStrategicMerge",
        "crds",
        "configurations",
        "generators",
        "transformers",
        "validators",
    ] {
        for item in doc.get(list).map(Y::items).unwrap_or_default() {
            if let Some(s) = item.str() {
                add(s);
            }
        }
    }
    for list in ["patches", "patchesJson6902", "replacements"] {
        for item in doc.get(list).map(Y::items).unwrap_or_default() {
            if let Some(s) = item.get_str("path") {
                add(s);
            }
        }
    }
    for list in ["configMapGenerator", "secretGenerator"] {
        for item in doc.get(list).map(Y::items).unwrap_or_default() {
            for field in ["files", "envs"] {
                for f in item.get(field).map(Y::items).unwrap_or_default() {
                    if let Some(s) = f.str() {
                        add(s);
                    }
                }
            }
            if let Some(s) = item.get_str("env") {
                add(s);
            }
        }
    }
    if let Some(s) = doc.get("openapi").and_then(|o| o.get_str("path")) {
        add(s);
    }
    out
}

fn read_kustomization(dir: &Path) -> Option<(PathBuf, Y)> {
    let file = kustomization_file(dir)?;
    let text = std::fs::read_to_string(&file).ok()?;
    let doc = parse_docs(&text, &|o| o).into_iter().next()?;
    Some((file, doc))
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| normalize(path))
}

/// Find the kustomizations among the files and directories of a walk, which are entry points
/// and which files they use. `paths` may hold files (a kustomization file names its directory)
/// and directories (a directory with a kustomization file is one).
#[must_use]
pub fn scan(paths: &[PathBuf]) -> Tree {
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    for path in paths {
        if path.is_dir() {
            if kustomization_file(path).is_some() {
                dirs.insert(canonical(path));
            }
        } else if is_kustomization_file(path) {
            if let Some(parent) = path.parent() {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                dirs.insert(canonical(parent));
            }
        }
    }
    let mut tree = Tree::default();
    // Follow the references: a base outside the walked paths is still a kustomization of the
    // build, and its files are used.
    let mut queue: Vec<PathBuf> = dirs.iter().cloned().collect();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut components: BTreeSet<PathBuf> = BTreeSet::new();
    while let Some(dir) = queue.pop() {
        if !seen.insert(dir.clone()) || seen.len() > 10_000 {
            continue;
        }
        let Some((file, doc)) = read_kustomization(&dir) else {
            continue;
        };
        tree.used.insert(canonical(&file));
        let refs = refs(&dir, &doc);
        if refs.component {
            components.insert(dir.clone());
        }
        let own = tree.files_of.entry(dir.clone()).or_default();
        own.insert(canonical(&file));
        for f in refs.files {
            own.insert(canonical(&f));
            tree.used.insert(canonical(&f));
        }
        for d in refs.dirs {
            let d = canonical(&d);
            if kustomization_file(&d).is_some() {
                tree.used_by.entry(d.clone()).or_default().push(dir.clone());
                queue.push(d);
            }
        }
    }
    tree.kustomizations = dirs.iter().cloned().collect();
    tree.entries = dirs
        .iter()
        .filter(|d| !tree.used_by.contains_key(*d) && !components.contains(*d))
        .cloned()
        .collect();
    tree
}

/// `path` relative to `root` (both normalized), with `..` where it leaves `root`.
fn relative(path: &Path, root: &Path) -> PathBuf {
    let (path, root) = match (std::path::absolute(path), std::path::absolute(root)) {
        (Ok(p), Ok(r)) if path.is_absolute() != root.is_absolute() => {
            (normalize(&p), normalize(&r))
        }
        _ => (normalize(path), normalize(root)),
    };
    let p: Vec<Component<'_>> = path.components().collect();
    let r: Vec<Component<'_>> = root
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    let p: Vec<Component<'_>> = p.into_iter().filter(|c| *c != Component::CurDir).collect();
    let common = p.iter().zip(&r).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..r.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

/// Lexically normalized path (`a/b/../c` → `a/c`), keeping leading `..`.
#[must_use]
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// How to build.
#[derive(Clone, Debug)]
pub struct Options {
    /// A `kustomize` binary to use instead of `kubectl kustomize` (a path or a name on PATH).
    pub kustomize: Option<PathBuf>,
    /// The `kubectl` to use (a path or a name on PATH); default `kubectl` on PATH.
    pub kubectl: Option<PathBuf>,
    /// How long one build may run.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            kustomize: None,
            kubectl: None,
            timeout: Duration::from_secs(60),
        }
    }
}

/// The outcome of one build: the built text with its map (when kustomize succeeded) and the
/// problems to report (a remote resource at its line, a kustomize error at the line it names).
#[derive(Debug)]
pub struct Build {
    pub rendered: Option<Rendered>,
    /// The map, typed (also behind `rendered.map`): generated names, for instance.
    pub map: Option<Arc<KustomizeMap>>,
    pub errors: Vec<RenderError>,
    /// Every origin file read (kustomizations, resources, patches): the files whose edit
    /// invalidates this build (the language server re-lints the overlay when one changes).
    pub inputs: Vec<PathBuf>,
}

/// Loads the kustomizations of one build into layers, registering each origin file.
struct Loader<'a> {
    sources: &'a Sources,
    /// The directory names are made relative to, and the name it displays as.
    root: PathBuf,
    display: PathBuf,
    kusts: Vec<Kust>,
    by_dir: HashMap<PathBuf, usize>,
    texts: HashMap<SourceId, Arc<str>>,
    files: HashMap<PathBuf, SourceId>,
    errors: Vec<RenderError>,
    /// Kustomization files with remote resources, and the byte spans of those items.
    remote: Vec<(PathBuf, Vec<Span>)>,
    inputs: BTreeSet<PathBuf>,
    /// Every local file a kustomization names (generator inputs, configurations, ... which
    /// the map does not read but kustomize does): copied when building without remotes.
    named: BTreeSet<PathBuf>,
}

impl Loader<'_> {
    fn name_of(&self, path: &Path) -> String {
        let name = normalize(&self.display.join(relative(path, &self.root)));
        name.to_string_lossy().replace('\\', "/")
    }

    fn source(&mut self, path: &Path) -> Option<(SourceId, Arc<str>)> {
        let path = normalize(path);
        if let Some(&id) = self.files.get(&path) {
            return Some((id, Arc::clone(&self.texts[&id])));
        }
        let text: Arc<str> = std::fs::read_to_string(&path).ok()?.into();
        let name = self.name_of(&path);
        let id = match self.sources.find(&name) {
            Some(id) if *self.sources.get(id).text == *text => id,
            _ => self.sources.add(name, Arc::clone(&text)),
        };
        self.inputs.insert(path.clone());
        self.files.insert(path, id);
        self.texts.insert(id, Arc::clone(&text));
        Some((id, text))
    }

    fn load(&mut self, dir: &Path, depth: usize) -> Option<usize> {
        let dir = normalize(dir);
        if let Some(&k) = self.by_dir.get(&dir) {
            return Some(k);
        }
        if depth > 32 {
            return None;
        }
        let file = kustomization_file(&dir)?;
        let (source, text) = self.source(&file)?;
        let doc = parse_docs(&text, &|o| o).into_iter().next()?;
        self.named
            .extend(refs(&dir, &doc).files.into_iter().map(|f| normalize(&f)));
        let k = self.kusts.len();
        self.kusts.push(Kust {
            source: Some(source),
            ..Kust::default()
        });
        self.by_dir.insert(dir.clone(), k);
        let mut kust = Kust {
            source: Some(source),
            ..Kust::default()
        };
        let mut remote = Vec::new();
        for list in ["resources", "bases", "components"] {
            for item in doc.get(list).map(Y::items).unwrap_or_default() {
                let Some(entry) = item.str() else { continue };
                if is_remote(entry) {
                    remote.push(item.span);
                    let what = if list == "components" {
                        "component"
                    } else {
                        "resource"
                    };
                    self.errors.push(
                        RenderError::new(format!(
                            "remote {what} `{entry}` is not fetched: daemonlint builds only what \
                             is on disk, so what it would add or change is not linted; vendor it \
                             into the repository to lint it"
                        ))
                        .at(Origin {
                            source,
                            span: item.span,
                            precision: Precision::Exact,
                        }),
                    );
                    if list != "components" {
                        kust.resources.push(Resource::Remote);
                    }
                    continue;
                }
                let path = dir.join(entry);
                if list == "components" {
                    if let Some(c) = self.load(&path, depth + 1) {
                        kust.components.push(c);
                    }
                } else if path.is_dir() {
                    if let Some(child) = self.load(&path, depth + 1) {
                        kust.resources.push(Resource::Kust(child));
                    }
                } else if let Some((id, text)) = self.source(&path) {
                    kust.resources.push(Resource::File {
                        source: id,
                        docs: parse_docs(&text, &|o| o),
                    });
                }
            }
        }
        if !remote.is_empty() {
            self.remote.push((file.clone(), remote));
        }
        for item in doc
            .get("patchesStrategicMerge")
            .map(Y::items)
            .unwrap_or_default()
        {
            let Some(entry) = item.str() else { continue };
            if entry.contains('\n') || entry.contains(": ") {
                kust.sm_patches.extend(inline(
                    source,
                    &text,
                    item,
                    item.key.unwrap_or(item.span),
                    None,
                ));
            } else if let Some((id, ptext)) = self.source(&dir.join(entry)) {
                kust.sm_patches
                    .extend(parse_docs(&ptext, &|o| o).into_iter().map(|doc| Patch {
                        source: id,
                        json: matches!(doc.kind, YKind::Seq(_)),
                        doc,
                        target: None,
                        cap: Precision::Exact,
                    }));
            }
        }
        for (list, out) in [
            ("patches", &mut kust.patches),
            ("patchesJson6902", &mut kust.json_patches),
        ] {
            for item in doc.get(list).map(Y::items).unwrap_or_default() {
                let target = item.get("target").map(Target::read);
                if let Some(path) = item.get_str("path") {
                    if let Some((id, ptext)) = self.source(&dir.join(path)) {
                        out.extend(parse_docs(&ptext, &|o| o).into_iter().map(|doc| Patch {
                            source: id,
                            json: matches!(doc.kind, YKind::Seq(_)),
                            doc,
                            target: target.clone(),
                            cap: Precision::Exact,
                        }));
                    }
                } else if let Some(patch) = item.get("patch") {
                    let key = patch.key.unwrap_or(patch.span);
                    out.extend(inline(source, &text, patch, key, target.clone()));
                }
            }
        }
        kust.namespace = doc.get("namespace").cloned();
        kust.name_prefix = doc.get("namePrefix").cloned();
        kust.name_suffix = doc.get("nameSuffix").cloned();
        let pairs = |y: Option<&Y>, selectors: bool, templates: bool| -> Vec<Pair> {
            y.map(Y::entries)
                .unwrap_or_default()
                .iter()
                .map(|(k, v)| Pair {
                    key: k.clone(),
                    value: v.clone(),
                    selectors,
                    templates,
                })
                .collect()
        };
        kust.labels = pairs(doc.get("commonLabels"), true, true);
        for set in doc.get("labels").map(Y::items).unwrap_or_default() {
            let flag = |k: &str| set.get_str(k) == Some("true");
            let selectors = flag("includeSelectors");
            kust.labels.extend(pairs(
                set.get("pairs"),
                selectors,
                selectors || flag("includeTemplates"),
            ));
        }
        kust.annotations = pairs(doc.get("commonAnnotations"), false, true);
        for item in doc.get("images").map(Y::items).unwrap_or_default() {
            let Some(name) = item.get_str("name") else {
                continue;
            };
            let line = ["newTag", "digest", "newName"]
                .iter()
                .find_map(|k| item.get(k))
                .or_else(|| item.get("name"))
                .map_or(item.span, |y| y.key.unwrap_or(y.span));
            kust.images.push(ImageEntry {
                name: name.to_string(),
                span: line,
                new_name: item.get_str("newName").map(str::to_string),
                sets_tag: item.get("newTag").is_some() || item.get("digest").is_some(),
            });
        }
        for (list, kind) in [
            ("configMapGenerator", "ConfigMap"),
            ("secretGenerator", "Secret"),
        ] {
            for item in doc.get(list).map(Y::items).unwrap_or_default() {
                if let Some(name) = item.get("name") {
                    kust.generators.push(Generator {
                        kind,
                        name: name.str().unwrap_or("").to_string(),
                        span: name.span,
                    });
                }
            }
        }
        self.kusts[k] = kust;
        Some(k)
    }
}

/// An inline patch (a block scalar in `kustomization.yaml`), with its spans placed on the
/// kustomization's lines when every line of the decoded text is found there as written;
/// otherwise every span is the `patch:` key and the precision is `Line`.
fn inline(
    source: SourceId,
    text: &str,
    value: &Y,
    key: Span,
    target: Option<Target>,
) -> Vec<Patch> {
    let Some(decoded) = value.str() else {
        return Vec::new();
    };
    let starts = block_lines(text, value.span, decoded);
    let (docs, cap) = match &starts {
        Some(starts) => {
            let line_offsets: Vec<usize> = std::iter::once(0)
                .chain(decoded.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            let rebase = |o: u32| {
                let o = o as usize;
                let line = line_offsets.partition_point(|&s| s <= o).saturating_sub(1);
                starts.get(line).map_or(key.start, |&s| {
                    s + u32::try_from(o - line_offsets[line]).unwrap_or(0)
                })
            };
            (parse_docs(decoded, &rebase), Precision::Exact)
        }
        None => (parse_docs(decoded, &|_| key.start), Precision::Line),
    };
    docs.into_iter()
        .map(|doc| Patch {
            source,
            json: matches!(doc.kind, YKind::Seq(_)),
            doc,
            target: target.clone(),
            cap,
        })
        .collect()
}

/// The source offset of each decoded line of a literal block scalar, when each line is in the
/// source as written (after the block's indentation).
fn block_lines(text: &str, span: Span, decoded: &str) -> Option<Vec<u32>> {
    let start = span.start as usize;
    // The span starts at the header (`|-`) or at the first content character.
    let mut at = if text.get(start..)?.trim_start().starts_with('|') {
        text[start..].find('\n')? + start + 1
    } else {
        text[..start].rfind('\n').map_or(0, |n| n + 1)
    };
    let mut indent = None;
    let mut out = Vec::new();
    let lines: Vec<&str> = decoded.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if at > text.len() {
            return None;
        }
        let source_line_end = text[at..].find('\n').map_or(text.len(), |n| at + n);
        let source_line = &text[at..source_line_end];
        if line.is_empty() {
            if i + 1 == lines.len() {
                // The decoded text's final newline.
                out.push(u32::try_from(at).ok()?);
                break;
            }
            if !source_line.trim().is_empty() {
                return None;
            }
            out.push(u32::try_from(at).ok()?);
        } else {
            let ind =
                *indent.get_or_insert_with(|| source_line.len() - source_line.trim_start().len());
            if source_line.get(ind..)?.get(..line.len())? != *line {
                return None;
            }
            out.push(u32::try_from(at + ind).ok()?);
        }
        at = source_line_end + 1;
    }
    Some(out)
}

/// Build the kustomization in `dir`. `display` is the directory as the user named it (names
/// of the origin sources are made from it). The built text and every origin file are
/// registered in `sources`.
#[must_use]
pub fn build(dir: &Path, display: &str, sources: &Sources, options: &Options) -> Build {
    let mut loader = Loader {
        sources,
        root: normalize(dir),
        display: PathBuf::from(display),
        kusts: Vec::new(),
        by_dir: HashMap::new(),
        texts: HashMap::new(),
        files: HashMap::new(),
        errors: Vec::new(),
        remote: Vec::new(),
        inputs: BTreeSet::new(),
        named: BTreeSet::new(),
    };
    let root = loader.load(dir, 0);
    let entry_file =
        kustomization_file(dir).and_then(|f| loader.files.get(&normalize(&f)).copied());
    let (Some(root), Some(entry)) = (root, entry_file) else {
        return Build {
            rendered: None,
            map: None,
            errors: vec![RenderError::new(format!(
                "`{display}` has no readable kustomization.yaml, kustomization.yml or \
                 Kustomization file"
            ))],
            inputs: loader.inputs.into_iter().collect(),
        };
    };
    let mut errors = std::mem::take(&mut loader.errors);
    let (program, mut args, command) = match command(options, display) {
        Ok(found) => found,
        Err(error) => {
            errors.push(RenderError {
                message: format!(
                    "{error}: install kubectl (kustomize is built in) or set the path of \
                     kubectl or kustomize, to lint the overlay `{display}`"
                ),
                origin: Some(Origin::file(entry)),
                missing_tool: true,
            });
            return Build {
                rendered: None,
                map: None,
                errors,
                inputs: loader.inputs.into_iter().collect(),
            };
        }
    };
    // With remote resources, build a copy without them (never fetched).
    let staged = if loader.remote.is_empty() {
        None
    } else {
        stage_without_remote(&loader, dir)
    };
    let build_dir = staged
        .as_ref()
        .map_or_else(|| dir.to_path_buf(), |(_, d)| d.clone());
    args.push(build_dir.clone().into_os_string());
    let output = tool::run(&program, &args, None, options.timeout);
    drop(staged);
    let inputs: Vec<PathBuf> = loader.inputs.iter().cloned().collect();
    let output = match output {
        Ok(output) => output,
        Err(error) => {
            let hint = match error {
                ToolError::Timeout { .. } => {
                    " (raise the timeout, or look for a slow generator or plugin)"
                }
                _ => "",
            };
            errors.push(
                RenderError::new(format!(
                    "kustomize could not build `{display}`: {error}{hint}"
                ))
                .at(Origin::file(entry)),
            );
            return Build {
                rendered: None,
                map: None,
                errors,
                inputs,
            };
        }
    };
    if !output.success() {
        let message = output
            .stderr
            .trim()
            .trim_start_matches("error: ")
            .trim_start_matches("Error: ");
        let origin = error_origin(&loader, message).unwrap_or_else(|| Origin::file(entry));
        errors.push(
            RenderError::new(format!(
                "kustomize could not build `{display}`: {}",
                message.replace(&build_dir.display().to_string(), display)
            ))
            .at(origin),
        );
        return Build {
            rendered: None,
            map: None,
            errors,
            inputs,
        };
    }
    let text: Arc<str> = String::from_utf8_lossy(&output.stdout).into_owned().into();
    let source = sources.add(format!("{display} (kustomize build)"), Arc::clone(&text));
    let map = Arc::new(KustomizeMap::new(
        text,
        entry,
        root,
        std::mem::take(&mut loader.kusts),
        std::mem::take(&mut loader.texts),
    ));
    let rendered = Rendered {
        source,
        map: Arc::clone(&map) as Arc<dyn SourceMap>,
        info: RenderInfo {
            kind: RenderKind::Kustomize,
            entry: display.to_string(),
            release: None,
            values: Vec::new(),
            set: None,
            command,
        },
    };
    Build {
        rendered: Some(rendered),
        map: Some(map),
        errors,
        inputs,
    }
}

/// The program, its arguments before the directory, and the command line a user would type.
fn command(
    options: &Options,
    display: &str,
) -> Result<(PathBuf, Vec<OsString>, Vec<String>), ToolError> {
    if let Some(kustomize) = &options.kustomize {
        let program = tool::find("kustomize", Some(kustomize))?;
        return Ok((
            program,
            vec!["build".into()],
            vec!["kustomize".into(), "build".into(), display.to_string()],
        ));
    }
    let program = tool::find("kubectl", options.kubectl.as_deref())?;
    Ok((
        program,
        vec!["kustomize".into()],
        vec!["kubectl".into(), "kustomize".into(), display.to_string()],
    ))
}

/// Copy every file of the build into a temporary directory, with the remote resources taken
/// out of the kustomization files, keeping the relative layout. The directory to build in it.
fn stage_without_remote(loader: &Loader<'_>, dir: &Path) -> Option<(tempfile::TempDir, PathBuf)> {
    let files: Vec<&PathBuf> = loader
        .files
        .keys()
        .chain(loader.named.iter().filter(|f| f.is_file()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let absolute = |p: &Path| std::path::absolute(p).map(|p| normalize(&p)).ok();
    let mut base = absolute(dir)?;
    for f in &files {
        let f = absolute(f)?;
        while !f.starts_with(&base) {
            base = base.parent()?.to_path_buf();
        }
    }
    let temp = tempfile::tempdir().ok()?;
    let removed: HashMap<PathBuf, &Vec<Span>> = loader
        .remote
        .iter()
        .filter_map(|(f, spans)| Some((absolute(f)?, spans)))
        .collect();
    for f in files {
        let abs = absolute(f)?;
        let to = temp.path().join(abs.strip_prefix(&base).ok()?);
        std::fs::create_dir_all(to.parent()?).ok()?;
        let mut text = std::fs::read_to_string(f).ok()?;
        if let Some(spans) = removed.get(&abs) {
            for span in spans.iter().rev() {
                remove_item(&mut text, *span);
            }
        }
        std::fs::write(&to, text).ok()?;
    }
    let build_dir = temp.path().join(absolute(dir)?.strip_prefix(&base).ok()?);
    Some((temp, build_dir))
}

/// Take a list item out of a kustomization's text: its line in a block list (`- https://...`),
/// the item and a comma next to it in a flow list (`[a, https://...]`).
fn remove_item(text: &mut String, span: Span) {
    let (start, end) = (span.start as usize, span.end as usize);
    if end > text.len() || start > end {
        return;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
    if text[line_start..start].trim() == "-" {
        let line_end = text[end..].find('\n').map_or(text.len(), |n| end + n);
        text.replace_range(line_start..line_end, "");
        return;
    }
    let after = text[end..].len() - text[end..].trim_start().len();
    if text[end + after..].starts_with(',') {
        let rest = &text[end + after + 1..];
        let spaces = rest.len() - rest.trim_start_matches(' ').len();
        text.replace_range(start..end + after + 1 + spaces, "");
        return;
    }
    let before = text[..start].trim_end();
    if before.ends_with(',') {
        text.replace_range(before.len() - 1..end, "");
    } else {
        text.replace_range(start..end, "");
    }
}

/// The kustomization line a kustomize error names: an unknown field (`json: unknown field
/// "resourcs"`), or a listed file or directory the message quotes.
fn error_origin(loader: &Loader<'_>, message: &str) -> Option<Origin> {
    let quoted: Vec<&str> = message
        .split(['\'', '"', '`'])
        .enumerate()
        .filter(|(i, s)| i % 2 == 1 && !s.is_empty())
        .map(|(_, s)| s)
        .collect();
    let unknown_field = message
        .split("unknown field \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next());
    // A patch that matches no resource: `no matches for Id DaemonSet.v1.apps/agent.[noNs]`.
    let unmatched = message
        .split("no matches for Id ")
        .nth(1)
        .and_then(|rest| rest.split([';', ' ', ':']).next())
        .and_then(|id| {
            let (kind, rest) = id.split_once('.')?;
            let name = rest.split_once('/')?.1;
            let name = name.rsplit_once(".[").map_or(name, |(n, _)| n);
            Some((kind.to_string(), name.to_string()))
        });
    let mut kustomizations: Vec<(&PathBuf, SourceId)> = loader
        .files
        .iter()
        .filter(|(path, _)| is_kustomization_file(path))
        .map(|(path, &id)| (path, id))
        .collect();
    kustomizations.sort();
    for (path, id) in kustomizations {
        let text = &loader.texts[&id];
        let Some(doc) = parse_docs(text, &|o| o).into_iter().next() else {
            continue;
        };
        if let Some(field) = unknown_field {
            if let Some((_, y)) = doc.entries().iter().find(|(k, _)| k == field) {
                return Some(Origin {
                    source: id,
                    span: y.key.unwrap_or(y.span),
                    precision: Precision::Exact,
                });
            }
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        if let Some((kind, name)) = &unmatched {
            if let Some(span) = unmatched_patch(loader, dir, &doc, kind, name) {
                return Some(Origin {
                    source: id,
                    span,
                    precision: Precision::Line,
                });
            }
        }
        for (_, list) in doc.entries() {
            for item in list.items() {
                let entry = item.str().or_else(|| item.get_str("path"));
                let Some(entry) = entry else { continue };
                let full = normalize(&dir.join(entry));
                let named = quoted.iter().any(|q| {
                    *q == entry
                        || Path::new(q).ends_with(entry.trim_start_matches("./"))
                        || normalize(Path::new(q)) == full
                        || std::path::absolute(&full).is_ok_and(|a| Path::new(q).starts_with(&a))
                });
                if named && !full.exists() {
                    let span = item.get("path").map_or(item.span, |p| p.span);
                    return Some(Origin {
                        source: id,
                        span,
                        precision: Precision::Line,
                    });
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_block_lines_are_found_in_the_kustomization() {
        let text = "patches:\n  - patch: |-\n      kind: DaemonSet\n      spec:\n        x: 1\n";
        let doc = parse_docs(text, &|o| o).remove(0);
        let value = doc.get("patches").expect("patches").items()[0]
            .get("patch")
            .expect("patch")
            .clone();
        let decoded = value.str().expect("a scalar");
        assert_eq!(decoded, "kind: DaemonSet\nspec:\n  x: 1");
        let starts = block_lines(text, value.span, decoded).expect("found");
        assert_eq!(starts, [29, 51, 63]);
        // A folded block is not its lines: no place is claimed.
        let folded = "patches:\n  - patch: >-\n      kind: DaemonSet\n      spec: {}\n";
        let doc = parse_docs(folded, &|o| o).remove(0);
        let value = doc.get("patches").expect("patches").items()[0]
            .get("patch")
            .expect("patch")
            .clone();
        assert!(block_lines(folded, value.span, value.str().expect("a scalar")).is_none());
    }

    #[test]
    fn remote_items_are_taken_out_of_block_and_flow_lists() {
        let cases = [
            (
                "resources:\n  - a.yaml\n  - https://x/y\n  - b.yaml\n",
                "https://x/y",
                "resources:\n  - a.yaml\n\n  - b.yaml\n",
            ),
            (
                "resources: [a.yaml, https://x/y, b.yaml]\n",
                "https://x/y",
                "resources: [a.yaml, b.yaml]\n",
            ),
            (
                "resources: [a.yaml, https://x/y]\n",
                "https://x/y",
                "resources: [a.yaml]\n",
            ),
        ];
        for (text, item, want) in cases {
            let at = text.find(item).expect("item");
            let mut text = text.to_string();
            remove_item(&mut text, Span::new(at, at + item.len()));
            assert_eq!(text, want);
        }
    }

    #[test]
    fn remote_entries_are_recognized() {
        for remote in [
            "https://github.com/a/b//c?ref=v1",
            "github.com/a/b/c?ref=v1",
            "git@github.com:a/b.git",
            "ssh://git@host/a/b",
        ] {
            assert!(is_remote(remote), "{remote}");
        }
        for local in ["../base", "ds.yaml", "./overlays/prod"] {
            assert!(!is_remote(local), "{local}");
        }
    }

    #[test]
    fn paths_normalize_and_relate() {
        assert_eq!(normalize(Path::new("a/b/../c/./d")), PathBuf::from("a/c/d"));
        assert_eq!(normalize(Path::new("../a/..")), PathBuf::from(".."));
        assert_eq!(
            relative(Path::new("a/base/ds.yaml"), Path::new("a/overlays/prod")),
            PathBuf::from("../../base/ds.yaml")
        );
    }
}

/// The `patchesStrategicMerge` or `patches` entry of a kustomization whose patch names
/// `kind`/`name` (the patch kustomize found no resource for).
fn unmatched_patch(
    loader: &Loader<'_>,
    dir: &Path,
    doc: &Y,
    kind: &str,
    name: &str,
) -> Option<Span> {
    let names = |y: &Y| {
        y.get_str("kind") == Some(kind)
            && y.get("metadata").and_then(|m| m.get_str("name")) == Some(name)
    };
    let file_names = |entry: &str| {
        let id = loader.files.get(&normalize(&dir.join(entry)))?;
        parse_docs(&loader.texts[id], &|o| o)
            .iter()
            .any(names)
            .then_some(())
    };
    for item in doc
        .get("patchesStrategicMerge")
        .map(Y::items)
        .unwrap_or_default()
    {
        if item.str().and_then(file_names).is_some() {
            return Some(item.span);
        }
    }
    for item in doc.get("patches").map(Y::items).unwrap_or_default() {
        if let Some(path) = item.get("path") {
            if path.str().and_then(file_names).is_some() {
                return Some(path.span);
            }
        } else if let Some(patch) = item.get("patch") {
            if parse_docs(patch.str().unwrap_or(""), &|o| o)
                .iter()
                .any(names)
            {
                return Some(patch.key.unwrap_or(patch.span));
            }
        }
    }
    None
}

/// A finding's place and the overlays that share it: a base finding several overlays report is
/// reported once.
#[derive(Clone, Debug)]
pub struct Shared<T> {
    pub item: T,
    /// The entries (overlay directories) whose build gave it, in the order first seen.
    pub overlays: Vec<String>,
}

/// Merge findings of several builds that land on the same origin place: `key` says what makes
/// two the same (e.g. rule id, primary source and span); the first one is kept and the overlays
/// of the others are added to it. A finding mapped only to a file is never merged (the place is
/// not known well enough to say it is the same finding).
pub fn dedupe_by_origin<T, K: Eq + std::hash::Hash>(
    items: Vec<(String, T)>,
    key: impl Fn(&T) -> Option<K>,
) -> Vec<Shared<T>> {
    let mut out: Vec<Shared<T>> = Vec::new();
    let mut at: HashMap<K, usize> = HashMap::new();
    for (overlay, item) in items {
        match key(&item) {
            Some(k) => {
                if let Some(&i) = at.get(&k) {
                    if !out[i].overlays.contains(&overlay) {
                        out[i].overlays.push(overlay);
                    }
                } else {
                    at.insert(k, out.len());
                    out.push(Shared {
                        item,
                        overlays: vec![overlay],
                    });
                }
            }
            None => out.push(Shared {
                item,
                overlays: vec![overlay],
            }),
        }
    }
    out
}

/// The dedupe key of a mapped finding: its rule and primary place, or `None` for a file-only
/// mapping.
#[must_use]
pub fn origin_key(rule: &str, mapped: &Mapped) -> Option<(String, SourceId, Span)> {
    (mapped.primary.precision != Precision::File)
        .then(|| (rule.to_string(), mapped.primary.source, mapped.primary.span))
}
