//! A small REST client for Mainspring's `/api/v1`: bearer key, keyset pages followed to
//! the end, JSON and CSV posts, problem+json errors turned into readable messages.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use reqwest::{header, Client, Response, StatusCode};
use serde_json::Value;

pub struct Api {
    http: Client,
    base: String,
    key: String,
}

/// A non-success answer, with what the server said.
#[derive(Debug)]
pub struct HttpError {
    pub status: StatusCode,
    pub body: String,
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}: {}", self.status, self.body)
    }
}

impl std::error::Error for HttpError {}

impl Api {
    /// `base` is the server's root URL (`http://127.0.0.1:8080`).
    pub fn new(base: &str, key: &str) -> Result<Self> {
        if !base.starts_with("http://") && !base.starts_with("https://") {
            bail!("--register `{base}` must be an http:// URL of the server");
        }
        if base.starts_with("https://") {
            bail!("--register `{base}`: the simulator has no TLS; use http:// (e.g. through a local port)");
        }
        let http = Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| anyhow!("HTTP client: {e}"))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/{}", self.base, path.trim_start_matches('/'))
    }

    async fn check(resp: Response) -> Result<Value> {
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(HttpError { status, body: text }.into());
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| anyhow!("response is not JSON ({e}): {text}"))
    }

    /// Every item of a list endpoint, following `next_cursor` to the end.
    pub async fn list_all(&self, path: &str, query: &[(&str, String)]) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("limit", "500".into()));
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            let resp = self
                .http
                .get(self.url(path))
                .bearer_auth(&self.key)
                .query(&q)
                .send()
                .await?;
            let page = Self::check(resp).await?;
            if let Some(list) = page["items"].as_array() {
                items.extend(list.iter().cloned());
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return Ok(items),
            }
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        let resp = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await?;
        Self::check(resp).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Result<Value> {
        let resp = self
            .http
            .patch(self.url(path))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await?;
        Self::check(resp).await
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        self.get_query(path, &[]).await
    }

    /// A GET with query parameters.
    pub async fn get_query(&self, path: &str, query: &[(&str, String)]) -> Result<Value> {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.key)
            .query(query)
            .send()
            .await?;
        Self::check(resp).await
    }

    pub async fn post_csv(&self, path: &str, csv: String) -> Result<Value> {
        let resp = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .header(header::CONTENT_TYPE, "text/csv")
            .body(csv)
            .send()
            .await?;
        Self::check(resp).await
    }
}

/// The status of an API error, if it was one.
pub fn status_of(e: &anyhow::Error) -> Option<StatusCode> {
    e.downcast_ref::<HttpError>().map(|h| h.status)
}

/// A string field of a JSON object (ids, names).
pub fn text(v: &Value, field: &str) -> Result<String> {
    v[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the server's answer lacks `{field}`: {v}"))
}
