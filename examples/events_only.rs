fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut n = 0usize;
    let mut p = granit_parser::Parser::new_from_str(&text);
    while let Some(Ok((ev, _span))) = p.next() {
        if matches!(ev, granit_parser::Event::StreamEnd) {
            break;
        }
        n += 1;
    }
    println!("{n}");
}
