//! Ticket title templates of rules: `{asset} {metric} {value} {condition}`. Pure:
//! checking a template when a rule is saved (an unknown placeholder is a 422 naming it)
//! and filling it in when a rule opens a ticket. `{{` and `}}` write literal braces.

use super::model::RuleKind;

/// The placeholders a template of `kind` may use, with what they stand for.
pub fn placeholders(kind: RuleKind) -> &'static [(&'static str, &'static str)] {
    const COMMON: [(&str, &str); 4] = [
        ("rule", "the rule's name"),
        (
            "asset",
            "the asset's name, or its serial number when it has none",
        ),
        ("serial", "the asset's serial number"),
        ("ts", "the device time of the reading or status (RFC 3339)"),
    ];
    match kind {
        RuleKind::Threshold => &[
            COMMON[0],
            COMMON[1],
            COMMON[2],
            COMMON[3],
            ("metric", "the metric"),
            ("value", "the reading that completed the breach"),
            (
                "condition",
                "the condition, e.g. `> 80` or `outside [10, 90]`",
            ),
        ],
        RuleKind::NoData => &[
            COMMON[0],
            COMMON[1],
            COMMON[2],
            COMMON[3],
            ("device", "the device's MQTT device_id"),
            ("reason", "`offline` or `silent for 300 s`"),
        ],
    }
}

/// The template a rule gets when it names none.
pub fn default_template(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Threshold => "{asset}: {metric} {value} {condition}",
        RuleKind::NoData => "{asset}: device {device} {reason}",
    }
}

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Brace(char),
    Name(&'a str),
}

fn parse(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        if i > 0 {
            pieces.push(Piece::Text(&rest[..i]));
        }
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            pieces.push(Piece::Brace(tail.as_bytes()[0] as char));
            rest = &tail[2..];
        } else if tail.starts_with('}') {
            return Err("a `}` without its `{` (write `}}` for a brace)".into());
        } else {
            let end = tail
                .find('}')
                .ok_or("a `{` without its `}` (write `{{` for a brace)")?;
            pieces.push(Piece::Name(&tail[1..end]));
            rest = &tail[end + 1..];
        }
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// Check a template: well formed, and every placeholder one `kind` knows.
pub fn check(kind: RuleKind, template: &str) -> Result<(), String> {
    let known = placeholders(kind);
    for piece in parse(template)? {
        if let Piece::Name(name) = piece {
            if !known.iter().any(|(k, _)| *k == name) {
                let names: Vec<String> = known.iter().map(|(k, _)| format!("{{{k}}}")).collect();
                return Err(format!(
                    "unknown placeholder {{{name}}}; a {} rule knows {}",
                    kind,
                    names.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Fill a checked template with `values` (name, text); a placeholder without a value
/// is left empty.
pub fn render(template: &str, values: &[(&str, String)]) -> String {
    let Ok(pieces) = parse(template) else {
        return template.to_owned();
    };
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Brace(c) => out.push(c),
            Piece::Name(n) => {
                if let Some((_, v)) = values.iter().find(|(k, _)| *k == n) {
                    out.push_str(v);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_filled_with_its_values() {
        let title = render(
            "{asset}: {metric} {value} {condition} {{raw}}",
            &[
                ("asset", "Filler 2".into()),
                ("metric", "temperature_c".into()),
                ("value", "85.5".into()),
                ("condition", "> 80".into()),
            ],
        );
        assert_eq!(title, "Filler 2: temperature_c 85.5 > 80 {raw}");
    }

    #[test]
    fn the_default_templates_are_valid() {
        for kind in RuleKind::ALL {
            assert_eq!(check(*kind, default_template(*kind)), Ok(()));
        }
    }

    #[test]
    fn unknown_or_misplaced_placeholders_are_refused_with_the_known_ones() {
        let err = check(RuleKind::Threshold, "{asset} {temperature}").unwrap_err();
        assert!(
            err.contains("{temperature}") && err.contains("{metric}"),
            "{err}"
        );
        // a no-data rule has no reading value
        assert!(check(RuleKind::NoData, "{value}").is_err());
        assert!(check(RuleKind::Threshold, "{device}").is_err());
        assert!(check(RuleKind::Threshold, "open { brace").is_err());
        assert!(check(RuleKind::Threshold, "close } brace").is_err());
        assert!(check(RuleKind::Threshold, "{}").is_err());
        assert_eq!(check(RuleKind::NoData, "{{{device}}}"), Ok(()));
    }
}
