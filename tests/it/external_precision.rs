//! A review aid for the precision check on inputs the project does not hold (issues 19 and 20):
//! render a chart or build a kustomization given by environment variables, lint the result
//! with every rule selected, map each DaemonSet finding and print its rule, mapped place,
//! precision and the text of the mapped line, for judging by hand. Ignored: it reads no data
//! of the repository and asserts only that the rendering worked.
//!
//! ```text
//! DAEMONLINT_EXTERNAL_HELM=path/to/chart[,values.yaml...] \
//!   cargo test --test it external_precision:: -- --ignored --nocapture
//! DAEMONLINT_EXTERNAL_KUSTOMIZE=path/to/overlay \
//!   cargo test --test it external_precision:: -- --ignored --nocapture
//! ```

// Printing is what this review aid is for.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use daemonlint::diagnostic::Diagnostic;
use daemonlint::render::helm::{self, HelmOptions};
use daemonlint::render::kustomize::{self, Options};
use daemonlint::render::Rendered;
use daemonlint::source::SourceFile;
use daemonlint::source_map::{Origin, Precision, Sources};

fn tools() -> PathBuf {
    crate::common::k8s_tools().expect("scripts/install-k8s-tools installs helm and kubectl")
}

fn lint(name: &str, text: &str) -> Vec<Diagnostic> {
    crate::common::lint_all(name, text)
}

fn describe(sources: &Sources, origin: &Origin) -> String {
    let entry = sources.get(origin.source);
    if origin.precision == Precision::File {
        return format!("{} (file)", entry.name);
    }
    let line = entry.line_col(origin.span.start).line;
    let span = entry.line_span(line as usize - 1);
    format!(
        "{}:{line} ({:?}) | {}",
        entry.name,
        origin.precision,
        entry.text[span.range()].trim_end()
    )
}

fn report(sources: &Sources, rendered: &Rendered, tag: &str) {
    let text = sources.get(rendered.source).text.to_string();
    let source = SourceFile::new("rendered.yaml", text.clone());
    let lines: Vec<&str> = text.lines().collect();
    let (mut exact, mut line, mut file) = (0, 0, 0);
    for d in lint("rendered.yaml", &text) {
        if d.object.as_ref().is_none_or(|o| o.kind != "DaemonSet") {
            continue;
        }
        let mapped = rendered.map.map_finding(d.span, d.path.as_deref(), &d.rule);
        match mapped.primary.precision {
            Precision::Exact => exact += 1,
            Precision::Line => line += 1,
            Precision::File => file += 1,
        }
        let at = source.line_col(d.span.start).line as usize;
        println!(
            "{tag}\t{}\t{}\trendered:{at} | {}\n\t-> {}",
            d.rule,
            d.path.as_deref().unwrap_or(""),
            lines.get(at - 1).copied().unwrap_or("").trim(),
            describe(sources, &mapped.primary)
        );
        for r in &mapped.related {
            println!("\t   related {}", describe(sources, &r.origin));
        }
    }
    println!("{tag}\tTOTAL exact {exact} line {line} file {file}");
}

#[test]
#[ignore = "a review aid: reads the chart or kustomization named by an environment variable"]
fn print_mapped_findings() {
    let bin = tools();
    if let Ok(spec) = std::env::var("DAEMONLINT_EXTERNAL_HELM") {
        let mut parts = spec.split(',');
        let chart = PathBuf::from(parts.next().unwrap_or_default());
        let options = HelmOptions {
            release: "rel".into(),
            helm: Some(bin.join("helm")),
            namespace: std::env::var("DAEMONLINT_EXTERNAL_NAMESPACE").ok(),
            values: parts.map(PathBuf::from).collect(),
            ..HelmOptions::default()
        };
        let sources = Sources::new();
        let rendered = helm::render(&chart, &options, &sources)
            .unwrap_or_else(|e| panic!("{}: {e}", chart.display()));
        report(&sources, &rendered, &spec);
    }
    if let Ok(dir) = std::env::var("DAEMONLINT_EXTERNAL_KUSTOMIZE") {
        let options = Options {
            kubectl: Some(bin.join("kubectl")),
            ..Options::default()
        };
        let sources = Sources::new();
        let build = kustomize::build(Path::new(&dir), &dir, &sources, &options);
        for e in &build.errors {
            println!("{dir}\tERROR {e}");
        }
        let rendered = build.rendered.expect("the kustomization builds");
        report(&sources, &rendered, &dir);
    }
}
