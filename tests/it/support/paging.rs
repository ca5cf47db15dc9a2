//! [`all_pages`]: follow a list's `next_cursor` to its end, checking every page, so a
//! test of keyset paging is one call and an assertion on what came back.

use reqwest::Method;
use serde_json::Value;

use super::TestApp;

/// Every item of the list at `path` (which may carry filters) in pages of `limit`,
/// read with `key`. Asserts each page is 200, holds at most `limit` items, and that
/// only the last page has no `next_cursor`.
pub async fn all_pages(app: &TestApp, key: &str, path: &str, limit: usize) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let (status, page) = app.call_as(key, Method::GET, &url, None).await;
        assert_eq!(status, 200, "GET {url}: {page}");
        let got = page["items"].as_array().expect("a page has items");
        assert!(got.len() <= limit, "GET {url} gave {} items", got.len());
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert!(!got.is_empty(), "GET {url}: an empty page with a cursor");
                cursor = Some(next.to_owned());
            }
            None => return items,
        }
    }
    panic!("GET {path}: the pages never ended");
}
