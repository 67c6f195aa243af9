//! The raw-parser floor of `scripts/bench`: every YAML event of a file pulled from
//! granit-parser on one thread, nothing built. Prints the number of events.
#![allow(clippy::print_stdout, clippy::print_stderr)]

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: events_only FILE");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let mut events = 0usize;
    for event in granit_parser::Parser::new_from_str(&text) {
        match event {
            Ok(_) => events += 1,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(1);
            }
        }
    }
    println!("{events}");
}
