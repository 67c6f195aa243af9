//! Kubernetes resource quantities (`resource.Quantity`): `500m`, `1.5Gi`, `1e3`, `128974848`.
//!
//! The grammar follows the Kubernetes API reference
//! (<https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/>):
//!
//! ```text
//! <quantity>        ::= <signedNumber><suffix>
//! <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
//! <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
//! <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
//! <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
//! <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//! ```
//!
//! Values are held exactly as an integer count of nano-units (`i128`), never as floats, so sums
//! over thousands of nodes stay exact. As in Kubernetes, a value more precise than one nano-unit
//! is rounded up ("1.5n" is 2n).

use std::fmt::Write as _;

/// An exact quantity, in nano-units (10⁻⁹ of the resource's unit: cores, bytes, devices).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    nanos: i128,
}

/// The largest magnitude accepted, in nano-units (10³⁰: 10²¹ units, far beyond any node).
const MAX_NANOS: i128 = 1_000_000_000_000_000_000_000_000_000_000;

const DECIMAL_SUFFIXES: &[(&str, i32)] = &[
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
    ("E", 18),
];

const BINARY_SUFFIXES: &[(&str, u32)] = &[
    ("Ki", 10),
    ("Mi", 20),
    ("Gi", 30),
    ("Ti", 40),
    ("Pi", 50),
    ("Ei", 60),
];

impl Quantity {
    pub const ZERO: Quantity = Quantity { nanos: 0 };

    #[must_use]
    pub fn from_nanos(nanos: i128) -> Self {
        Self { nanos }
    }

    /// A whole number of units (`3` cores, `4` GPUs).
    #[must_use]
    pub fn from_units(units: i64) -> Self {
        Self {
            nanos: i128::from(units) * 1_000_000_000,
        }
    }

    #[must_use]
    pub fn nanos(self) -> i128 {
        self.nanos
    }

    #[must_use]
    pub fn is_zero(self) -> bool {
        self.nanos == 0
    }

    #[must_use]
    pub fn is_negative(self) -> bool {
        self.nanos < 0
    }

    /// `self + other`, saturating far beyond any real value.
    #[must_use]
    pub fn plus(self, other: Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_add(other.nanos),
        }
    }

    /// `self × n`, saturating.
    #[must_use]
    pub fn times(self, n: usize) -> Quantity {
        let n = i128::try_from(n).unwrap_or(i128::MAX);
        Quantity {
            nanos: self.nanos.saturating_mul(n),
        }
    }

    /// `self / other` in tenths of a percent, rounded half up (`None` when `other` is zero).
    #[must_use]
    pub fn per_mille_of(self, other: Quantity) -> Option<i128> {
        if other.nanos <= 0 {
            return None;
        }
        // Scale both down when the product would overflow; precision past 10⁻⁹ is irrelevant.
        let (mut a, mut b) = (self.nanos, other.nanos);
        while a.checked_mul(2000).is_none() {
            a /= 1000;
            b = (b / 1000).max(1);
        }
        Some((a * 2000 + b) / (2 * b))
    }

    /// The quantity written the Kubernetes way for `resource`: memory-like resources (bytes) in
    /// the shortest exact binary form (`512Mi`, `1536Mi`, `1000Ki`), else the shortest exact
    /// decimal one (`1G`); others with decimal suffixes (`250m`, `4`, `1500m`). Always exact.
    #[must_use]
    pub fn display(self, resource: &str) -> String {
        let bytes = is_byte_resource(resource);
        let sign = if self.nanos < 0 { "-" } else { "" };
        let magnitude = self.nanos.unsigned_abs();
        let mut best: Option<String> = None;
        let consider = |best: &mut Option<String>, text: String| {
            if best.as_ref().is_none_or(|b| text.len() < b.len()) {
                *best = Some(text);
            }
        };
        if bytes && magnitude % 1_000_000_000 == 0 {
            let units = magnitude / 1_000_000_000;
            for (suffix, shift) in BINARY_SUFFIXES.iter().rev() {
                let unit = 1u128 << shift;
                if units >= unit && units % unit == 0 {
                    consider(&mut best, format!("{sign}{}{suffix}", units / unit));
                }
            }
        }
        if best.is_some() {
            return best.unwrap_or_default();
        }
        // Decimal forms, from the largest suffix down; the plain number is exponent 0.
        let decimal: [(&str, i32); 10] = [
            ("E", 18),
            ("P", 15),
            ("T", 12),
            ("G", 9),
            ("M", 6),
            ("k", 3),
            ("", 0),
            ("m", -3),
            ("u", -6),
            ("n", -9),
        ];
        for (suffix, exp) in decimal {
            if bytes && exp < 0 && best.is_some() {
                break;
            }
            let Some(scale) = 10u128.checked_pow(u32::try_from(exp + 9).unwrap_or(0)) else {
                continue;
            };
            if magnitude % scale == 0 && (magnitude >= scale || (magnitude == 0 && exp == 0)) {
                consider(&mut best, format!("{sign}{}{suffix}", magnitude / scale));
                if !bytes {
                    break;
                }
            }
        }
        best.unwrap_or_else(|| format!("{sign}{magnitude}n"))
    }
}

/// Resources counted in bytes, written with binary suffixes when that is shorter.
#[must_use]
pub fn is_byte_resource(resource: &str) -> bool {
    matches!(resource, "memory" | "ephemeral-storage" | "storage")
        || resource.starts_with("hugepages-")
}

/// Parse a quantity as Kubernetes' `resource.ParseQuantity` does. The error says what is wrong
/// and shows the accepted forms.
pub fn parse(text: &str) -> Result<Quantity, String> {
    if text.is_empty() {
        return Err("an empty string is not a quantity".into());
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let int_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = &text[int_start..i];
    let mut frac_digits = "";
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = &text[start..i];
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(format!(
            "`{text}` is not a quantity: expected a number such as `2`, `0.5`, `500m`, `1.5Gi` or `1e3`"
        ));
    }
    let suffix = &text[i..];
    let mantissa_text = format!("{int_digits}{frac_digits}");
    let mantissa_text = mantissa_text.trim_start_matches('0');
    if mantissa_text.len() > 38 {
        return Err(format!("`{text}` is too large a quantity"));
    }
    let mantissa: i128 = if mantissa_text.is_empty() {
        0
    } else {
        mantissa_text
            .parse()
            .map_err(|_| format!("`{text}` is too large a quantity"))?
    };
    let frac_len = i32::try_from(frac_digits.len()).unwrap_or(i32::MAX);
    let (exp10, exp2) = match parse_suffix(suffix) {
        Some(v) => v,
        None => return Err(suffix_error(text, suffix)),
    };
    // value = mantissa × 10^(exp10 − frac_len) × 2^exp2, in nano-units: × 10⁹.
    let power = i64::from(exp10) - i64::from(frac_len) + 9;
    let mut nanos = mantissa;
    if exp2 > 0 {
        nanos = nanos
            .checked_mul(1i128 << exp2)
            .ok_or_else(|| format!("`{text}` is too large a quantity"))?;
    }
    if power >= 0 {
        let scale = u32::try_from(power)
            .ok()
            .and_then(|p| 10i128.checked_pow(p))
            .ok_or_else(|| format!("`{text}` is too large a quantity"))?;
        if nanos != 0 {
            nanos = nanos
                .checked_mul(scale)
                .ok_or_else(|| format!("`{text}` is too large a quantity"))?;
        }
    } else {
        // Finer than a nano-unit: round up, as Kubernetes does.
        let divisor = u32::try_from(-power)
            .ok()
            .and_then(|p| 10i128.checked_pow(p));
        nanos = match divisor {
            Some(d) => (nanos + d - 1) / d,
            None => i128::from(nanos > 0),
        };
    }
    if nanos > MAX_NANOS {
        return Err(format!("`{text}` is too large a quantity"));
    }
    Ok(Quantity {
        nanos: if negative { -nanos } else { nanos },
    })
}

/// `(power of ten, power of two)` of a suffix, or `None` when it is not one.
fn parse_suffix(suffix: &str) -> Option<(i32, u32)> {
    if suffix.is_empty() {
        return Some((0, 0));
    }
    if let Some((_, e)) = DECIMAL_SUFFIXES.iter().find(|(s, _)| *s == suffix) {
        return Some((*e, 0));
    }
    if let Some((_, e)) = BINARY_SUFFIXES.iter().find(|(s, _)| *s == suffix) {
        return Some((0, *e));
    }
    let rest = suffix
        .strip_prefix('e')
        .or_else(|| suffix.strip_prefix('E'))?;
    let digits = rest
        .strip_prefix('-')
        .or_else(|| rest.strip_prefix('+'))
        .unwrap_or(rest);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 4 {
        return None;
    }
    rest.parse::<i32>().ok().map(|e| (e, 0))
}

fn suffix_error(text: &str, suffix: &str) -> String {
    let mut message = format!("`{text}` is not a quantity: unknown suffix `{suffix}`");
    let hint = match suffix {
        "K" => Some("`k` (1000) or `Ki` (1024)"),
        "Kb" | "KB" | "kb" | "kB" => Some("`k` or `Ki`"),
        "Mb" | "MB" | "mb" | "mi" => Some("`M` or `Mi`"),
        "Gb" | "GB" | "gb" | "gi" | "g" => Some("`G` or `Gi`"),
        "Tb" | "TB" | "tb" | "ti" => Some("`T` or `Ti`"),
        "KiB" => Some("`Ki`"),
        "MiB" => Some("`Mi`"),
        "GiB" => Some("`Gi`"),
        _ => None,
    };
    if let Some(hint) = hint {
        let _ = write!(message, " (did you mean {hint}?)");
    }
    message.push_str(
        "; decimal suffixes are n u m k M G T P E, binary suffixes Ki Mi Gi Ti Pi Ei, exponents e3 or E3",
    );
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    const NANO: i128 = 1;
    const UNIT: i128 = 1_000_000_000;

    #[test]
    fn parses_every_form_exactly() {
        let cases: &[(&str, i128)] = &[
            ("0", 0),
            ("1", UNIT),
            ("+2", 2 * UNIT),
            ("-3", -3 * UNIT),
            ("500m", 500_000_000),
            ("1500m", 1_500_000_000),
            ("0.5", 500_000_000),
            ("1.", UNIT),
            (".5", 500_000_000),
            ("0.1", 100_000_000),
            ("100n", 100 * NANO),
            ("250u", 250_000),
            ("1k", 1_000 * UNIT),
            ("1M", 1_000_000 * UNIT),
            ("1G", 1_000_000_000 * UNIT),
            ("1T", 1_000_000_000_000 * UNIT),
            ("1P", 1_000_000_000_000_000 * UNIT),
            ("1E", 1_000_000_000_000_000_000 * UNIT),
            ("1Ki", 1024 * UNIT),
            ("1Mi", 1_048_576 * UNIT),
            ("2Gi", 2_147_483_648 * UNIT),
            ("1.5Gi", 1_610_612_736 * UNIT),
            ("1Ti", (1i128 << 40) * UNIT),
            ("1Pi", (1i128 << 50) * UNIT),
            ("1Ei", (1i128 << 60) * UNIT),
            ("1e3", 1_000 * UNIT),
            ("1E3", 1_000 * UNIT),
            ("1e-3", 1_000_000),
            ("1.5e+2", 150 * UNIT),
            ("12e0", 12 * UNIT),
            ("128974848", 128_974_848 * UNIT),
            ("0.000000001", 1),
            // Finer than a nano-unit rounds up.
            ("1.5n", 2),
            ("0.0000000001", 1),
            ("1e-30", 1),
            ("007", 7 * UNIT),
        ];
        for (text, nanos) in cases {
            assert_eq!(parse(text), Ok(Quantity::from_nanos(*nanos)), "{text}");
        }
    }

    #[test]
    fn rejects_what_kubernetes_rejects_with_a_clear_message() {
        let cases: &[(&str, &str)] = &[
            ("", "an empty string is not a quantity"),
            ("m", "`m` is not a quantity: expected a number"),
            (".", "`.` is not a quantity: expected a number"),
            ("abc", "`abc` is not a quantity: expected a number"),
            (
                "1K",
                "unknown suffix `K` (did you mean `k` (1000) or `Ki` (1024)?)",
            ),
            ("512MB", "unknown suffix `MB` (did you mean `M` or `Mi`?)"),
            ("1GiB", "unknown suffix `GiB` (did you mean `Gi`?)"),
            ("1e", "unknown suffix `e`"),
            ("1e3.5", "unknown suffix `e3.5`"),
            ("1.5.3", "unknown suffix `.3`"),
            (" 1", "expected a number"),
            ("1 ", "unknown suffix ` `"),
            ("--1", "expected a number"),
            ("1e99999", "unknown suffix"),
            ("1e40", "too large"),
            ("99999999999999999999999999999999999999999", "too large"),
            ("2000000Ei", "too large"),
        ];
        for (text, expected) in cases {
            let err = parse(text).expect_err(text);
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn displays_exactly_in_the_kubernetes_style() {
        let q = |t: &str| parse(t).expect(t);
        let cases: &[(&str, &str, &str)] = &[
            ("cpu", "100m", "100m"),
            ("cpu", "1500m", "1500m"),
            ("cpu", "2", "2"),
            ("cpu", "2000m", "2"),
            ("cpu", "0", "0"),
            ("cpu", "0.5", "500m"),
            ("cpu", "1.5n", "2n"),
            ("cpu", "3k", "3k"),
            ("memory", "128Mi", "128Mi"),
            ("memory", "1024Mi", "1Gi"),
            ("memory", "1536Mi", "1536Mi"),
            ("memory", "1G", "1G"),
            ("memory", "1e9", "1G"),
            ("memory", "1000Ki", "1000Ki"),
            ("memory", "32868600Ki", "32868600Ki"),
            ("memory", "0", "0"),
            ("memory", "1500", "1500"),
            ("memory", "0.5", "500m"),
            ("ephemeral-storage", "10Gi", "10Gi"),
            ("hugepages-2Mi", "4Mi", "4Mi"),
            ("nvidia.com/gpu", "4", "4"),
            ("cpu", "-250m", "-250m"),
        ];
        for (resource, text, shown) in cases {
            assert_eq!(q(text).display(resource), *shown, "{resource} {text}");
        }
    }

    #[test]
    fn sums_and_shares_are_exact() {
        let q = |t: &str| parse(t).expect(t);
        assert_eq!(q("100m").times(40), q("4"));
        assert_eq!(q("128Mi").times(40).display("memory"), "5Gi");
        assert_eq!(q("1500m").plus(q("0.5")), q("2"));
        assert_eq!(q("4").per_mille_of(q("320")), Some(13));
        assert_eq!(q("1").per_mille_of(q("8")), Some(125));
        assert_eq!(q("1").per_mille_of(q("0")), None);
        assert_eq!(q("800Ei").per_mille_of(q("800Ei")), Some(1000));
    }
}
