//! Source identities and the map from a derived text back to the files a user edits.
//!
//! A run lints texts that are not always the files the user wrote: one window of a large file,
//! a chart rendered by `helm template`, an overlay built by kustomize. Each linted text is a
//! source with a [`SourceId`] in the run's [`Sources`]; a derived text also has a [`SourceMap`]
//! that takes a span of it back to an [`Origin`]: the source the user edits, the span there and
//! how sure the mapping is ([`Precision`]). A location is never a guess dressed as a fact: when
//! a map cannot tell the line, it says [`Precision::File`].

use std::sync::{Arc, OnceLock, RwLock};

use serde::Serialize;

use crate::source::{LineCol, LineIndex, Span};

/// One source text of a run (a file, stdin, an editor buffer, a rendered or built text, or an
/// origin file such as a chart's `values.yaml`). An index into the run's [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(u32);

impl SourceId {
    /// The id's index (stable for the run).
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// How sure a mapped location is. Ordered from the least sure: `File < Line < Exact`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Only the file is known; the span is the file's start.
    File,
    /// The line is right; the columns may not be.
    Line,
    /// The span is exactly the origin text that produced the derived text: a fix may edit it.
    Exact,
}

impl Precision {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Line => "line",
            Self::Exact => "exact",
        }
    }
}

/// A place in an origin source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub source: SourceId,
    pub span: Span,
    pub precision: Precision,
}

impl Origin {
    /// The whole file, when nothing better is known.
    #[must_use]
    pub fn file(source: SourceId) -> Self {
        Self {
            source,
            span: Span::empty(0),
            precision: Precision::File,
        }
    }
}

/// A secondary place a mapping adds (the template line that used a value, the `{{ with }}`
/// that skipped a block, the base line a patch overrode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub origin: Origin,
    pub message: String,
}

/// Where a span of a derived text goes: the place the user edits, and other places worth naming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    pub primary: Origin,
    pub related: Vec<Related>,
}

impl From<Origin> for Mapped {
    fn from(primary: Origin) -> Self {
        Self {
            primary,
            related: Vec::new(),
        }
    }
}

/// Maps spans of one derived text to their origins.
///
/// `path` is the finding's JSON path in its document (`spec.template.spec.containers[0]...`),
/// when it has one: a renderer uses it to tell which value a field came from, or which value
/// left it absent.
pub trait SourceMap: Send + Sync + std::fmt::Debug {
    fn map(&self, span: Span, path: Option<&str>) -> Mapped;

    /// Map a finding of `rule`: a renderer can then place an absence (a field the rule wanted
    /// and did not find) on the value that left it out. Defaults to [`Self::map`].
    fn map_finding(&self, span: Span, path: Option<&str>, rule: &str) -> Mapped {
        let _ = rule;
        self.map(span, path)
    }
}

/// A piecewise map: parts of the derived text copied unchanged from an origin (a window of a
/// large file, template lines without actions). A span inside one part maps with that part's
/// precision and the same offset; a span outside every part maps to `fallback` as
/// [`Precision::File`].
#[derive(Clone, Debug)]
pub struct Segments {
    parts: Vec<Segment>,
    fallback: SourceId,
}

/// One part of a [`Segments`] map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The part in the derived text.
    pub derived: Span,
    /// Where it came from. With `Exact` precision, `origin.span` has the same length as
    /// `derived`; with `Line`, it covers the origin line.
    pub origin: Origin,
}

impl Segments {
    #[must_use]
    pub fn new(fallback: SourceId) -> Self {
        Self {
            parts: Vec::new(),
            fallback,
        }
    }

    /// The map of a window of a file (`source`): the window's `len` bytes are the file's
    /// from `base`, exactly. The part runs one byte past the window's end, so an empty span
    /// at the end of its text (a finding at the end of a document) maps too.
    #[must_use]
    pub fn window(source: SourceId, base: u32, len: u32) -> Self {
        let mut map = Self::new(source);
        map.push(
            Span {
                start: 0,
                end: len + 1,
            },
            Origin {
                source,
                span: Span {
                    start: base,
                    end: base + len + 1,
                },
                precision: Precision::Exact,
            },
        );
        map
    }

    /// Add a part. Parts must not overlap; they may come in any order.
    pub fn push(&mut self, derived: Span, origin: Origin) {
        let at = self
            .parts
            .partition_point(|p| p.derived.start < derived.start);
        self.parts.insert(at, Segment { derived, origin });
    }

    #[must_use]
    pub fn parts(&self) -> &[Segment] {
        &self.parts
    }

    fn part_of(&self, offset: u32) -> Option<&Segment> {
        let at = self.parts.partition_point(|p| p.derived.start <= offset);
        let part = self.parts.get(at.checked_sub(1)?)?;
        (offset < part.derived.end || (part.derived.is_empty() && offset == part.derived.start))
            .then_some(part)
    }
}

impl SourceMap for Segments {
    fn map(&self, span: Span, _path: Option<&str>) -> Mapped {
        let Some(part) = self.part_of(span.start) else {
            return Origin::file(self.fallback).into();
        };
        let origin = part.origin;
        match origin.precision {
            Precision::Exact if span.end <= part.derived.end => {
                let start = origin.span.start + (span.start - part.derived.start);
                Origin {
                    span: Span {
                        start,
                        end: start + span.len() as u32,
                    },
                    ..origin
                }
                .into()
            }
            // A span that runs past an exact part keeps its start exact and its line.
            Precision::Exact => {
                let start = origin.span.start + (span.start - part.derived.start);
                Origin {
                    span: Span::empty(start as usize),
                    precision: Precision::Line,
                    ..origin
                }
                .into()
            }
            Precision::Line | Precision::File => origin.into(),
        }
    }
}

/// The sources of a run: names and texts, append-only and shared between threads. Findings
/// and labels name a source by id; emitters turn ids into names and positions here.
#[derive(Debug, Default)]
pub struct Sources {
    entries: RwLock<Vec<Arc<SourceEntry>>>,
}

/// One source's display name and text.
#[derive(Debug)]
pub struct SourceEntry {
    pub name: String,
    pub text: Arc<str>,
    index: OnceLock<LineIndex>,
}

impl SourceEntry {
    pub fn line_index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }

    /// 1-based line and column of an offset.
    #[must_use]
    pub fn line_col(&self, offset: u32) -> LineCol {
        self.line_index().line_col(&self.text, offset)
    }

    /// 1-based line and column of both ends of a span.
    #[must_use]
    pub fn span_positions(&self, span: Span) -> (LineCol, LineCol) {
        (self.line_col(span.start), self.line_col(span.end))
    }

    /// 0-based line and UTF-16 column of an offset (SARIF and LSP positions).
    #[must_use]
    pub fn utf16_position(&self, offset: u32) -> (u32, u32) {
        self.line_index().utf16_position(&self.text, offset)
    }

    /// The span of the whole 0-based line `line` (without its line break).
    #[must_use]
    pub fn line_span(&self, line: usize) -> Span {
        self.line_index().line_span(&self.text, line)
    }
}

impl Sources {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Register a source and get its id. The same name may be added twice (two renderings).
    pub fn add(&self, name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceId {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = SourceId(u32::try_from(entries.len()).unwrap_or(u32::MAX));
        entries.push(Arc::new(SourceEntry {
            name: name.into(),
            text: text.into(),
            index: OnceLock::new(),
        }));
        id
    }

    /// The source of an id given out by this table.
    ///
    /// # Panics
    /// Never for an id from [`Self::add`] on this table (ids are never removed).
    #[must_use]
    pub fn get(&self, id: SourceId) -> Arc<SourceEntry> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(&entries[id.index()])
    }

    /// The source of an id, or `None` for an id this table did not give out (a report put
    /// together by hand, without its run's table).
    #[must_use]
    pub fn try_get(&self, id: SourceId) -> Option<Arc<SourceEntry>> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(id.index()).map(Arc::clone)
    }

    /// Give a source registered before its text was at hand (a file of a run, read again only
    /// when a label points into it) its text. The id and the name stay; does nothing for an id
    /// this table did not give out.
    pub fn set_text(&self, id: SourceId, text: impl Into<Arc<str>>) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = entries.get_mut(id.index()) {
            *entry = Arc::new(SourceEntry {
                name: entry.name.clone(),
                text: text.into(),
                index: OnceLock::new(),
            });
        }
    }

    /// The first source registered under `name`.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<SourceId> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .iter()
            .position(|e| e.name == name)
            .map(|i| SourceId(u32::try_from(i).unwrap_or(u32::MAX)))
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_part_maps_offsets_one_to_one() {
        let sources = Sources::new();
        let origin = sources.add("base.yaml", "a: 1\nb: 2\n");
        let derived = sources.add("built", "# header\na: 1\nb: 2\n");
        let mut map = Segments::new(origin);
        map.push(
            Span::new(9, 19),
            Origin {
                source: origin,
                span: Span::new(0, 10),
                precision: Precision::Exact,
            },
        );
        let got = map.map(Span::new(14, 18), None).primary;
        assert_eq!(got.source, origin);
        assert_eq!(got.span, Span::new(5, 9));
        assert_eq!(got.precision, Precision::Exact);
        assert_eq!(sources.get(got.source).line_col(got.span.start).line, 2);
        // The header is in no part: the file, said as such.
        let header = map.map(Span::new(0, 3), None).primary;
        assert_eq!(header, Origin::file(origin));
        assert_ne!(derived, origin);
    }

    #[test]
    fn a_window_maps_every_span_of_its_text_exactly_into_the_file() {
        let sources = Sources::new();
        let file = sources.add("big.yaml", "");
        // The window holds the file's bytes 100..120.
        let map = Segments::window(file, 100, 20);
        for (span, want) in [
            (Span::new(0, 0), Span::new(100, 100)),
            (Span::new(3, 9), Span::new(103, 109)),
            (Span::new(0, 20), Span::new(100, 120)),
            // A finding at the end of the text (an empty span past its last byte).
            (Span::new(20, 20), Span::new(120, 120)),
        ] {
            let got = map.map(span, None).primary;
            assert_eq!(
                (got.source, got.span, got.precision),
                (file, want, Precision::Exact)
            );
        }
    }

    #[test]
    fn a_span_past_an_exact_part_keeps_only_its_line() {
        let sources = Sources::new();
        let origin = sources.add("t.yaml", "x: {{ .Values.x }}\n");
        let mut map = Segments::new(origin);
        map.push(
            Span::new(0, 3),
            Origin {
                source: origin,
                span: Span::new(0, 3),
                precision: Precision::Exact,
            },
        );
        let got = map.map(Span::new(0, 8), None).primary;
        assert_eq!(got.precision, Precision::Line);
        assert_eq!(got.span.start, 0);
    }

    #[test]
    fn line_spans_leave_out_the_line_break() {
        let sources = Sources::new();
        let id = sources.add("f", "a: 1\r\nbb: 2\nc");
        let entry = sources.get(id);
        assert_eq!(entry.line_span(0), Span::new(0, 4));
        assert_eq!(entry.line_span(1), Span::new(6, 11));
        assert_eq!(entry.line_span(2), Span::new(12, 13));
        assert_eq!(sources.find("f"), Some(id));
        assert_eq!(sources.len(), 1);
    }

    #[test]
    fn a_text_given_later_keeps_the_id_and_name() {
        let sources = Sources::new();
        let a = sources.add("a.yaml", "");
        let b = sources.add("b.yaml", "x: 1\n");
        sources.set_text(a, "k: v\ny: é\n");
        let entry = sources.try_get(a).expect("a");
        assert_eq!(entry.name, "a.yaml");
        assert_eq!(entry.line_col(7).line, 2);
        assert_eq!(entry.utf16_position(9), (1, 3));
        assert_eq!(&*sources.get(b).text, "x: 1\n");
        assert!(Sources::new().try_get(b).is_none());
    }
}
