//! Scalar resolution the way Kubernetes reads manifests.
//!
//! Kubernetes decodes YAML with `sigs.k8s.io/yaml`, which resolves plain scalars with YAML 1.1
//! rules (`yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0640` is octal). A YAML 1.2 reader (and
//! most editors) reads those as strings and decimals. daemonlint judges values as Kubernetes
//! would and reports the ambiguity separately.

/// What a plain scalar means to Kubernetes.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

/// Resolve a scalar. Quoted and block scalars are always strings.
#[must_use]
pub fn resolve(text: &str, plain: bool) -> Resolved<'_> {
    // Fast path: no null, boolean or number is longer than five characters and starts with a
    // letter (numbers start with a digit, a sign or `.`).
    if !plain || (text.len() > 5 && text.as_bytes()[0].is_ascii_alphabetic()) {
        return Resolved::Str(text);
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        _ => {}
    }
    if let Some(b) = yaml11_bool(text) {
        return Resolved::Bool(b);
    }
    if let Some(i) = yaml11_int(text) {
        return Resolved::Int(i);
    }
    if let Some(f) = yaml_float(text) {
        return Resolved::Float(f);
    }
    Resolved::Str(text)
}

/// Resolve a scalar with the YAML 1.2 core schema (for daemonlint's own files, where
/// `off` must stay a string).
#[must_use]
pub fn resolve12(text: &str, plain: bool) -> Resolved<'_> {
    if !plain {
        return Resolved::Str(text);
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
        "true" | "True" | "TRUE" => Resolved::Bool(true),
        "false" | "False" | "FALSE" => Resolved::Bool(false),
        _ => match resolve(text, true) {
            Resolved::Bool(_) => Resolved::Str(text),
            Resolved::Int(_) if yaml12_disagreement(text).is_some() => Resolved::Str(text),
            other => other,
        },
    }
}

fn yaml11_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

fn yaml11_int(text: &str) -> Option<i64> {
    let (neg, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if !body.as_bytes().first()?.is_ascii_digit() {
        return None;
    }
    let body_clean: String;
    let body = if body.contains('_') {
        body_clean = body.replace('_', "");
        body_clean.as_str()
    } else {
        body
    };
    // go-yaml v2 parses with Go's base prefixes, in either case (`0X1F`, `0O7`, `0B1`).
    let value = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
        i64::from_str_radix(oct, 8).ok()?
    } else if let Some(bin) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
        i64::from_str_radix(bin, 2).ok()?
    } else if body.len() > 1 && body.starts_with('0') && body.bytes().all(|b| b.is_ascii_digit()) {
        i64::from_str_radix(&body[1..], 8).ok()?
    } else if body.bytes().all(|b| b.is_ascii_digit()) {
        body.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if neg { -value } else { value })
}

fn yaml_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let bytes = text.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E' | b'_'))
    {
        return None;
    }
    if !bytes.iter().any(u8::is_ascii_digit) {
        return None;
    }
    text.replace('_', "").parse::<f64>().ok()
}

/// How a YAML 1.2 reader would take the same plain scalar, when that differs from Kubernetes'
/// reading. Returns a short description of the 1.2 meaning.
#[must_use]
pub fn yaml12_disagreement(text: &str) -> Option<&'static str> {
    // Only YAML 1.1 booleans (`y`, `n`, `on`, `off`, `yes`, `no`…) and numbers can disagree.
    if !matches!(
        text.as_bytes().first(),
        Some(b'y' | b'Y' | b'n' | b'N' | b'o' | b'O' | b'0'..=b'9' | b'+' | b'-')
    ) {
        return None;
    }
    if matches!(text, "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
        return None;
    }
    if yaml11_bool(text).is_some() {
        return Some("the string");
    }
    let body = text.trim_start_matches(['-', '+']);
    if body.len() > 1
        && body.starts_with('0')
        && body.bytes().all(|b| b.is_ascii_digit())
        && yaml11_int(text).is_some()
    {
        return Some("the decimal number");
    }
    // YAML 1.2 knows only `0x` and `0o` prefixes, in lower case.
    if ["0X", "0O", "0B", "0b"].iter().any(|p| body.starts_with(p)) && yaml11_int(text).is_some() {
        return Some("the string");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_reads_yaml11_booleans_and_octals() {
        assert_eq!(resolve("yes", true), Resolved::Bool(true));
        assert_eq!(resolve("Off", true), Resolved::Bool(false));
        assert_eq!(resolve("yes", false), Resolved::Str("yes"));
        assert_eq!(resolve("0640", true), Resolved::Int(0o640));
        assert_eq!(resolve("0o17", true), Resolved::Int(15));
        assert_eq!(resolve("-12", true), Resolved::Int(-12));
        assert_eq!(resolve("25%", true), Resolved::Str("25%"));
        assert_eq!(resolve("1.5", true), Resolved::Float(1.5));
        assert_eq!(resolve("~", true), Resolved::Null);
        assert_eq!(resolve("1e3", true), Resolved::Float(1000.0));
        assert_eq!(resolve("v1", true), Resolved::Str("v1"));
        assert_eq!(resolve("0", true), Resolved::Int(0));
        // go-yaml v2 falls back to its float pattern for an invalid octal.
        assert_eq!(resolve("089", true), Resolved::Float(89.0));
    }

    #[test]
    fn disagreements_between_yaml_versions() {
        assert_eq!(yaml12_disagreement("yes"), Some("the string"));
        assert_eq!(yaml12_disagreement("0640"), Some("the decimal number"));
        assert_eq!(yaml12_disagreement("true"), None);
        assert_eq!(yaml12_disagreement("640"), None);
        assert_eq!(yaml12_disagreement("0"), None);
    }
}
