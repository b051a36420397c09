//! Durations and byte sizes as Tentacular writes them, `<integer><unit>`: one parser for each,
//! used by `workflow.yaml` values ([`crate::DurationText`], [`crate::MemorySize`]) and by the
//! command-line flags of `tntc` and `tentacular-engine`. Callers word their own messages.

use std::time::Duration;

/// Why a number-and-unit text was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitError {
    /// It does not start with an integer (or the integer does not fit in 64 bits).
    NotANumber,
    /// The unit is not one of those accepted (the unit as written).
    UnknownUnit(String),
    /// The value does not fit in 64 bits.
    TooLarge,
}

/// How a duration written without a unit is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unitless {
    /// Rejected (`workflow.yaml`: `timeout: 30` is ambiguous).
    Reject,
    /// As seconds (command-line flags: `--timeout 90`).
    Seconds,
}

/// Which spellings of a byte unit are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeUnits {
    /// Kubernetes quantities, unit right after the number: `Ki`, `Mi`, `Gi`, `k`/`K`, `M`, `G`,
    /// or none (bytes). `workflow.yaml` `limits.memory`.
    Quantity,
    /// Quantities plus `B`, `KiB`, `MiB`, `GiB`, `kB`, `KB`, `MB`, `GB`, with or without a space
    /// before the unit. Command-line flags (`--max-body 10MiB`).
    Flag,
}

/// Every byte unit: its spelling, its size, and the first of [`SizeUnits`] that accepts it.
const SIZE_UNITS: [(&str, u64, SizeUnits); 16] = [
    ("", 1, SizeUnits::Quantity),
    ("Ki", 1 << 10, SizeUnits::Quantity),
    ("Mi", 1 << 20, SizeUnits::Quantity),
    ("Gi", 1 << 30, SizeUnits::Quantity),
    ("k", 1_000, SizeUnits::Quantity),
    ("K", 1_000, SizeUnits::Quantity),
    ("M", 1_000_000, SizeUnits::Quantity),
    ("G", 1_000_000_000, SizeUnits::Quantity),
    ("B", 1, SizeUnits::Flag),
    ("KiB", 1 << 10, SizeUnits::Flag),
    ("MiB", 1 << 20, SizeUnits::Flag),
    ("GiB", 1 << 30, SizeUnits::Flag),
    ("kB", 1_000, SizeUnits::Flag),
    ("KB", 1_000, SizeUnits::Flag),
    ("MB", 1_000_000, SizeUnits::Flag),
    ("GB", 1_000_000_000, SizeUnits::Flag),
];

/// Splits the leading integer from the rest.
fn number_and_unit(text: &str) -> Result<(u64, &str), UnitError> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n = digits.parse().map_err(|_| UnitError::NotANumber)?;
    Ok((n, unit))
}

/// Reads `500ms`, `30s`, `5m`, `1h` (surrounding white space ignored); a bare integer as
/// `unitless` says. Zero is a valid duration here; callers that need more say so.
pub fn parse_duration(text: &str, unitless: Unitless) -> Result<Duration, UnitError> {
    let (n, unit) = number_and_unit(text.trim())?;
    Ok(match (unit, unitless) {
        ("ms", _) => Duration::from_millis(n),
        ("s", _) | ("", Unitless::Seconds) => Duration::from_secs(n),
        ("m", _) => Duration::from_secs(n.saturating_mul(60)),
        ("h", _) => Duration::from_secs(n.saturating_mul(3600)),
        (other, _) => return Err(UnitError::UnknownUnit(other.to_string())),
    })
}

/// Reads a byte size in the spellings `units` allows (surrounding white space ignored).
pub fn parse_size(text: &str, units: SizeUnits) -> Result<u64, UnitError> {
    let (n, unit) = number_and_unit(text.trim())?;
    let unit = match units {
        SizeUnits::Quantity => unit,
        SizeUnits::Flag => unit.trim(),
    };
    let mult = SIZE_UNITS
        .iter()
        .find(|(name, _, spelling)| {
            *name == unit && (*spelling == SizeUnits::Quantity || units == SizeUnits::Flag)
        })
        .map(|(_, mult, _)| *mult)
        .ok_or_else(|| UnitError::UnknownUnit(unit.into()))?;
    n.checked_mul(mult).ok_or(UnitError::TooLarge)
}

/// A memory quantity of `workflow.yaml` (`"64Mi"`) that must lie in `range`: its bytes, or the
/// message: `what` names the field's kind (`memory size`), `example` is shown as a valid value
/// and `range_text` says the range as a user writes it (`1Mi and 4Gi`).
pub fn quantity_in(
    text: &str,
    what: &str,
    example: &str,
    range: std::ops::RangeInclusive<u64>,
    range_text: &str,
) -> Result<u64, String> {
    let bytes = parse_size(text.trim(), SizeUnits::Quantity).map_err(|_| {
        format!(
            "{what} \"{text}\" is not valid: write an integer and a unit (Ki, Mi, Gi, k, M, G), e.g. \"{example}\""
        )
    })?;
    if !range.contains(&bytes) {
        return Err(format!(
            "{what} \"{text}\" is out of range: it must be between {range_text}"
        ));
    }
    Ok(bytes)
}

/// A duration given on a command line: `90` (seconds), `90s`, `2m`, `1h`, `500ms`; the error is
/// the message clap shows.
pub fn parse_duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text, Unitless::Seconds)
        .map_err(|_| format!("{:?} is not a duration (e.g. 90s, 2m, 1h)", text.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_and_without_units() {
        let d = |t, u| parse_duration(t, u);
        assert_eq!(d("500ms", Unitless::Reject), Ok(Duration::from_millis(500)));
        assert_eq!(d(" 2m ", Unitless::Reject), Ok(Duration::from_secs(120)));
        assert_eq!(d("1h", Unitless::Reject), Ok(Duration::from_secs(3600)));
        assert_eq!(d("90", Unitless::Seconds), Ok(Duration::from_secs(90)));
        assert_eq!(
            d("90", Unitless::Reject),
            Err(UnitError::UnknownUnit(String::new()))
        );
        assert_eq!(d("0s", Unitless::Reject), Ok(Duration::ZERO));
        assert_eq!(d("s", Unitless::Seconds), Err(UnitError::NotANumber));
        assert_eq!(
            d("30 s", Unitless::Seconds),
            Err(UnitError::UnknownUnit(" s".into()))
        );
        assert_eq!(
            d("1d", Unitless::Seconds),
            Err(UnitError::UnknownUnit("d".into()))
        );
        assert_eq!(
            parse_duration_arg("ten").unwrap_err(),
            "\"ten\" is not a duration (e.g. 90s, 2m, 1h)"
        );
    }

    #[test]
    fn sizes_in_both_spellings() {
        let q = |t| parse_size(t, SizeUnits::Quantity);
        let f = |t| parse_size(t, SizeUnits::Flag);
        assert_eq!(q("64Mi"), Ok(64 << 20));
        assert_eq!(q("100M"), Ok(100_000_000));
        assert_eq!(q("2000000"), Ok(2_000_000));
        assert_eq!(q("64MB"), Err(UnitError::UnknownUnit("MB".into())));
        assert_eq!(q("64 Mi"), Err(UnitError::UnknownUnit(" Mi".into())));
        assert_eq!(f("10MiB"), Ok(10 << 20));
        assert_eq!(f("10 MiB"), Ok(10 << 20));
        assert_eq!(f("5M"), Ok(5_000_000));
        assert_eq!(f("1Tb"), Err(UnitError::UnknownUnit("Tb".into())));
        assert_eq!(f("99999999999999999999Gi"), Err(UnitError::NotANumber));
        assert_eq!(f("9999999999999Gi"), Err(UnitError::TooLarge));
    }
}
