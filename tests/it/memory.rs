#![allow(clippy::unwrap_used)]
//! A streamed run's memory does not grow with its input: the peak resident size of this test
//! process (a child that runs this test alone) grows by much less than the input file and its
//! JSON output. Linux only (it reads `VmHWM` from `/proc/self/status`).

/// Set in the child process that measures.
#[cfg(target_os = "linux")]
const ALONE: &str = "DAEMONLINT_MEMORY_TEST_ALONE";

#[cfg(target_os = "linux")]
#[test]
fn a_streamed_run_holds_neither_the_input_nor_the_findings() {
    // The peak resident size is the whole process's, and the other tests of this crate run in
    // this one: measure in a child process of this test binary that runs this test alone.
    if std::env::var_os(ALONE).is_none() {
        let name = "memory::a_streamed_run_holds_neither_the_input_nor_the_findings";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--test-threads=1", "--nocapture"])
            .env(ALONE, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("test result: ok. 1 passed;"),
            "the child run of {name} failed ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    use daemonlint::config::Settings;
    use daemonlint::report::{FormatEmitter, OutputFormat, RenderOptions};
    use std::io::Write;
    use std::path::PathBuf;

    fn peak_kb() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// Counts what is written, keeps nothing.
    struct Count(usize);
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, count: usize| {
        let path = dir.path().join(name);
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for i in 0..count {
            write!(
                file,
                "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent-{i}\n  \
                 namespace: ns-{}\nspec:\n  selector:\n    matchLabels: {{app: agent-{i}}}\n  \
                 template:\n    metadata:\n      labels: {{app: agent-{i}}}\n    spec:\n      \
                 hostNetwork: true\n      containers:\n        - name: agent\n          \
                 image: example.com/agent:latest\n          securityContext:\n            \
                 privileged: true\n          volumeMounts:\n            - {{name: root, \
                 mountPath: /host}}\n      volumes:\n        - name: root\n          \
                 hostPath: {{path: /}}\n",
                i % 7
            )
            .unwrap();
        }
        file.flush().unwrap();
        drop(file);
        path
    };
    let settings = Settings::default();
    let lint = |path: PathBuf, out: &mut Count| {
        let options = RenderOptions {
            color: false,
            summary: true,
            src_root: None,
        };
        let mut stream = FormatEmitter::new(OutputFormat::Json, options, out).unwrap();
        daemonlint::Linter::new(&settings)
            .window(64 << 10)
            .run(&daemonlint::Inputs::paths(&[path]), &mut stream)
            .unwrap()
            .totals
    };
    // Small files first: what every run holds (the compiled schema, the thread pool, the
    // allocator's arenas), then a file ten times larger must not raise the peak by much.
    assert_eq!(
        lint(write("few.yaml", 300), &mut Count(0)).stats.daemonsets,
        300
    );
    let small = write("some.yaml", 1_500);
    let small_size = std::fs::metadata(&small).unwrap().len();
    assert_eq!(lint(small, &mut Count(0)).stats.daemonsets, 1_500);
    let before = peak_kb();
    let big = write("many.yaml", 15_000);
    let extra = std::fs::metadata(&big).unwrap().len() - small_size;
    let mut out = Count(0);
    let totals = lint(big, &mut out);
    let grown = (peak_kb() - before) * 1024;
    assert_eq!(totals.stats.daemonsets, 15_000);
    assert!(totals.findings() > 100_000, "{totals:?}");
    // ~6.8 MB more input and ~140 MB more JSON: a run that kept either would grow by more.
    assert!(extra > 6_000_000, "{extra}");
    assert!(
        grown < extra / 2,
        "the peak grew by {grown} bytes for {extra} more bytes of input ({} bytes of output)",
        out.0
    );
}
