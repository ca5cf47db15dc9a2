//! Device and gateway ids from a pattern (`sim-{n:05}`, `{scenario}-{profile}-{n}`),
//! checked against the contract's `[A-Za-z0-9_.:-]{1,64}`.

use anyhow::{bail, Result};

/// What a pattern's placeholders stand for.
#[derive(Debug, Clone, Copy)]
pub struct IdParts<'a> {
    pub n: usize,
    pub scenario: &'a str,
    pub profile: &'a str,
    pub seed: u64,
}

/// `device_id` and metric names: 1 to 64 of `[A-Za-z0-9_.:-]`.
pub fn is_valid_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// Expands `{n}`, `{n:0W}` (zero-padded to W digits), `{scenario}`, `{profile}` and
/// `{seed}`; any other placeholder is an error, and so is a result the contract refuses.
pub fn expand(pattern: &str, parts: IdParts<'_>) -> Result<String> {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            bail!("id pattern `{pattern}` has an unclosed `{{`");
        };
        let key = &rest[open + 1..open + close];
        match key {
            "n" => out.push_str(&parts.n.to_string()),
            "scenario" => out.push_str(parts.scenario),
            "profile" => out.push_str(parts.profile),
            "seed" => out.push_str(&parts.seed.to_string()),
            _ => match key.strip_prefix("n:0").map(str::parse::<usize>) {
                Some(Ok(width)) if width <= 20 => {
                    out.push_str(&format!("{:0width$}", parts.n, width = width))
                }
                _ => bail!(
                    "id pattern `{pattern}`: unknown placeholder `{{{key}}}` \
                     (use {{n}}, {{n:05}}, {{scenario}}, {{profile}}, {{seed}})"
                ),
            },
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    if !is_valid_name(&out) {
        bail!("id pattern `{pattern}` gives `{out}`, which is not 1-64 of [A-Za-z0-9_.:-]");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(n: usize) -> IdParts<'static> {
        IdParts {
            n,
            scenario: "overheating",
            profile: "pump",
            seed: 42,
        }
    }

    #[test]
    fn pattern_expands_padded_numbers_and_names() {
        assert_eq!(expand("sim-{n:05}", parts(7)).unwrap(), "sim-00007");
        assert_eq!(
            expand("{scenario}-{profile}-{n}", parts(12)).unwrap(),
            "overheating-pump-12"
        );
        assert_eq!(expand("s{seed}.{n:02}", parts(3)).unwrap(), "s42.03");
        assert_eq!(expand("fixed", parts(3)).unwrap(), "fixed");
    }

    #[test]
    fn unknown_placeholders_and_unclosed_braces_are_refused() {
        assert!(expand("sim-{x}", parts(1)).is_err());
        assert!(expand("sim-{n", parts(1)).is_err());
        assert!(expand("sim-{n:5}", parts(1)).is_err());
    }

    #[test]
    fn results_outside_the_contract_charset_are_refused() {
        assert!(expand("sim {n}", parts(1)).is_err());
        assert!(expand("sim/{n}", parts(1)).is_err());
        assert!(expand("", parts(1)).is_err());
        assert!(expand(&"x".repeat(65), parts(1)).is_err());
    }

    #[test]
    fn names_follow_the_contract() {
        assert!(is_valid_name("filler-2.plc:a_b"));
        assert!(!is_valid_name("temp c"));
        assert!(!is_valid_name("+"));
    }
}
