//! Keyset pagination: `?limit=50&cursor=…` → `{"items": [...], "next_cursor": "…" | null}`.
//! A cursor is an opaque base64url token holding the sort key of the last item returned,
//! so a page is one index range scan however deep the client has paged.

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The pagination parameters every list accepts (flattened into its own query struct).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct PageParams {
    /// How many items to return (1 to 500).
    #[param(minimum = 1, maximum = 500, example = 50)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    /// The limit, checked to be in range.
    pub fn limit(&self) -> AppResult<i64> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AppError::invalid(
                "limit",
                format!("must be 1 to {MAX_LIMIT}"),
            )),
        }
    }

    /// The decoded cursor, if one was given.
    pub fn after<K: DeserializeOwned>(&self) -> AppResult<Option<K>> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }
}

/// The checked limit and decoded cursor of a list query's `limit` and `cursor`.
pub fn paging<K: DeserializeOwned>(
    limit: Option<i64>,
    cursor: Option<&str>,
) -> AppResult<(i64, Option<K>)> {
    let params = PageParams {
        limit,
        cursor: cursor.map(str::to_owned),
    };
    Ok((params.limit()?, params.after()?))
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> AppResult<K> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| AppError::invalid("cursor", "not a cursor returned by this list"))
}

/// Build a page from `limit + 1` fetched rows: the extra row only tells that more exist.
pub fn page<T, K: Serialize>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|last| encode_cursor(&key(last)))
    } else {
        None
    };
    Page {
        items: rows,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_page_with_more_rows_gives_a_cursor_to_the_last_item() {
        let p = page(vec![1, 2, 3], 2, |x| *x);
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(
            decode_cursor::<i32>(p.next_cursor.as_deref().unwrap()).unwrap(),
            2
        );
    }

    #[test]
    fn the_last_page_has_no_cursor() {
        let p = page(vec![1, 2], 2, |x| *x);
        assert_eq!(p.items, vec![1, 2]);
        assert!(p.next_cursor.is_none());
    }

    #[test]
    fn a_garbage_cursor_is_a_validation_error_naming_cursor() {
        let err = decode_cursor::<i32>("!!not-base64").unwrap_err();
        assert!(
            matches!(err, AppError::Validation { ref errors, .. } if errors[0].field == "cursor")
        );
    }

    #[test]
    fn limit_outside_range_is_refused() {
        let p = PageParams {
            limit: Some(0),
            cursor: None,
        };
        assert!(p.limit().is_err());
        let p = PageParams {
            limit: Some(501),
            cursor: None,
        };
        assert!(p.limit().is_err());
        assert_eq!(PageParams::default().limit().unwrap(), DEFAULT_LIMIT);
    }
}
