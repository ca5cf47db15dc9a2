//! Assertions on problem+json answers.

use reqwest::StatusCode;
use serde_json::Value;

/// Assert a problem+json error with `status`, returning its body.
pub fn assert_problem(status: StatusCode, body: &Value, expected: u16) -> &Value {
    assert_eq!(status.as_u16(), expected, "unexpected status; body: {body}");
    assert_eq!(
        body["status"].as_u64(),
        Some(u64::from(expected)),
        "problem body: {body}"
    );
    assert!(
        body["type"].as_str().is_some() && body["title"].as_str().is_some(),
        "problem body: {body}"
    );
    body
}

/// The fields named by a validation problem.
pub fn problem_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
