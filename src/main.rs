use clap::Parser;

fn main() {
    let cli = daemonlint::cli::Cli::parse();
    let code = daemonlint::cli::run(
        cli,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(code);
}
