use clap::Parser;

fn main() {
    let cli = daemonlint::cli::Cli::parse();
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let code = daemonlint::cli::run(cli, &mut stdout, &mut std::io::stderr().lock());
    drop(stdout);
    std::process::exit(code);
}
