//! Request extractors that turn bad input into precise problem documents: [`Json`] and
//! [`Query`] name the offending field (via `serde_path_to_error`); a malformed id in a
//! path is a 404. Handlers use these instead of actix's own `web::Json`/`web::Query`.

use std::future::Future;
use std::pin::Pin;

use actix_web::error::PayloadError;
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};

/// The largest JSON body accepted (bigger gets 413).
pub const JSON_LIMIT: usize = 1024 * 1024;
/// The largest CSV upload accepted.
pub const CSV_LIMIT: usize = 32 * 1024 * 1024;

/// A JSON request body. Unparseable JSON is 400; wrong types, unknown fields and
/// missing fields are 422 naming the field.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let v = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                v == "application/json" || v.ends_with("+json")
            })
            .unwrap_or(false);
        let body = read_body(req, payload, JSON_LIMIT);
        Box::pin(async move {
            if !content_type_ok {
                return Err(AppError::BadRequest(
                    "the body must be JSON with `Content-Type: application/json`".into(),
                ));
            }
            let bytes = body.await?;
            parse_json(&bytes).map(Json)
        })
    }
}

/// Read a whole body up to `limit` bytes (413 past it).
pub fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> impl Future<Output = Result<web::Bytes, AppError>> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    async move {
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        use futures_util::StreamExt;
        let mut buf = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| match e {
                PayloadError::Overflow => too_large(limit),
                other => AppError::BadRequest(format!("cannot read the body: {other}")),
            })?;
            if buf.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }
}

fn too_large(limit: usize) -> AppError {
    AppError::PayloadTooLarge(format!("the body is larger than {limit} bytes"))
}

/// Parse JSON, classifying errors: syntax → 400, shape → 422 with the field's path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(AppError::BadRequest(
            "the body is empty; a JSON document is required".into(),
        ));
    }
    // syntax first, so a truncated document is 400 even when its start has the wrong shape
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(AppError::BadRequest(format!(
            "the body is not valid JSON: {e}"
        )));
    }
    if has_escaped_nul(bytes) {
        return Err(AppError::invalid(
            "body",
            "text must not contain NUL (\\u0000) characters",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(de);
    result.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                AppError::BadRequest(format!("the body is not valid JSON: {inner}"))
            }
            _ => AppError::fields(vec![field_error(&path, &inner.to_string())]),
        }
    })
}

/// Whether a JSON document has a `\u0000` escape (PostgreSQL text cannot hold NUL; raw
/// NUL bytes are already invalid JSON).
fn has_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            i += 2; // skip the escaped character, so `\\u0000` is not mistaken for one
        } else {
            i += 1;
        }
    }
    false
}

/// The field a serde error is about: its path, or for an unknown or missing field at
/// that path, the field named in the message.
fn field_error(path: &str, message: &str) -> FieldError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    let named = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))
        .and_then(|rest| rest.split('`').next());
    let field = match (path, named) {
        (".", Some(name)) | ("", Some(name)) => name.to_owned(),
        // an unknown field's path already ends with it; a missing field's is its parent
        (p, Some(name)) if p == name || p.ends_with(&format!(".{name}")) => p.to_owned(),
        (p, Some(name)) => format!("{p}.{name}"),
        (".", None) | ("", None) => "body".to_owned(),
        (p, None) => p.to_owned(),
    };
    FieldError::new(field, message)
}

/// Query parameters. Wrong types and unknown parameters are 422 naming the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    if let Some((name, _)) =
        form_urlencoded_parse(query).find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(AppError::invalid(
            name.replace('\0', ""),
            "must not contain NUL characters",
        ));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        AppError::fields(vec![field_error(&path, &message)])
    })
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// Path extraction errors: a malformed id names nothing that exists, so 404.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, _req| AppError::NotFound(format!("no such resource: {err}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    fn field(r: Result<Body, AppError>) -> (u16, Vec<String>) {
        let e = r.unwrap_err();
        let p = e.problem();
        (p.status, p.errors.into_iter().map(|f| f.field).collect())
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_name_the_field() {
        assert_eq!(field(parse_json(b"{\"name\": ")).0, 400);
        assert_eq!(field(parse_json(b"[1,")).0, 400);
        assert_eq!(field(parse_json(b"  ")).0, 400);
        assert_eq!(
            field(parse_json(b"{\"name\": 1}")),
            (422, vec!["name".into()])
        );
        assert_eq!(field(parse_json(b"{}")), (422, vec!["name".into()]));
        assert_eq!(
            field(parse_json(b"{\"name\": \"x\", \"nope\": 1}")),
            (422, vec!["nope".into()])
        );
        assert_eq!(
            field(parse_json(b"{\"name\": \"x\", \"inner\": {\"count\": -1}}")),
            (422, vec!["inner.count".into()])
        );
        assert_eq!(
            field(parse_json(b"{\"name\": \"x\", \"inner\": {}}")),
            (422, vec!["inner.count".into()])
        );
    }

    #[test]
    fn nul_characters_are_refused_but_an_escaped_backslash_is_not_one() {
        assert_eq!(field(parse_json(b"{\"name\": \"a\\u0000b\"}")).0, 422);
        assert!(parse_json::<Body>(b"{\"name\": \"a\\\\u0000b\"}").is_ok());
        let q: Result<std::collections::HashMap<String, String>, _> = parse_query("q=a%00b");
        assert!(q.is_err());
    }
}
