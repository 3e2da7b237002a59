//! Reading `multipart/mixed` request bodies of the Statement API (xAPI
//! Communication §1.5.2 Multipart/Mixed) into their statements part and attachment parts. Checking the parts
//! against the statements and writing response bodies live in
//! [`crate::attachment_parts`].
//!
//! Parsing is tolerant where clients differ (a preamble or leading CRLF, header
//! names in any case, `Header:value` without a space, LF line ends, a closing
//! delimiter without a trailing CRLF) and strict where §3.6 says 400. Errors
//! name the header or part: `Content-Type`, `multipart.statements`,
//! `multipart.parts[1]` (attachment parts numbered from 0, after the
//! statements part).
//!
//! Hand-written around `memchr::memmem` rather than `multer`: multer wants CRLF line
//! ends and a form-data stream, and xAPI clients send LF-only bodies that must pass.

use memchr::memmem::Finder;

use crate::error::{Result, ValidationError};

/// A `multipart/mixed` request body, split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Multipart {
    /// The body of the first part (`application/json`): a statement or an
    /// array of statements, not yet parsed.
    pub statements_json: Vec<u8>,
    /// The later parts, in body order.
    pub parts: Vec<AttachmentPart>,
}

/// One attachment part: its `X-Experience-API-Hash`, its `Content-Type`
/// (`application/octet-stream` when absent) and its raw bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentPart {
    pub sha2: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Parses a `multipart/mixed` body. `content_type` is the request's full
/// `Content-Type` header; its `boundary` parameter (quoted or not) is required.
///
/// Rejects: a content type other than `multipart/mixed`, a missing or empty
/// boundary, a body without a delimiter or without the closing delimiter, a
/// first part that is not `application/json` (JSON in the preamble is not a
/// part), a later part without `X-Experience-API-Hash`, and any part whose
/// `Content-Transfer-Encoding` is present and not `binary`.
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Multipart> {
    let boundary = boundary(content_type)?;
    let delimiter = [b"--", boundary.as_bytes()].concat();
    let delimiter = Finder::new(&delimiter);
    let body_error = |rule: &str| ValidationError::new("multipart", rule);

    let mut position = find_delimiter(body, &delimiter, 0, true)
        .ok_or_else(|| body_error("must contain a delimiter line for the boundary"))?
        .1;
    let mut bodies = Vec::new();
    loop {
        if body[position..].starts_with(b"--") {
            break;
        }
        let start = skip_line_end(body, position)
            .ok_or_else(|| body_error("delimiter must be followed by a line end"))?;
        let (end, next) = find_delimiter(body, &delimiter, start, false)
            .ok_or_else(|| body_error("must end with the closing delimiter"))?;
        bodies.push(&body[start..end]);
        position = next;
    }

    let mut parts = bodies.into_iter().enumerate();
    let (_, first) = parts
        .next()
        .ok_or_else(|| ValidationError::new("multipart.statements", "is required"))?;
    let (headers, statements_json) = split_part(first, "multipart.statements")?;
    check_encoding(&headers, "multipart.statements")?;
    let media_type = header(&headers, "content-type").map(media_type);
    if media_type.as_deref() != Some("application/json") {
        return Err(ValidationError::new(
            "multipart.statements",
            "the first part must have content-type application/json",
        ));
    }

    let mut attachments = Vec::new();
    for (i, part) in parts {
        let path = format!("multipart.parts[{}]", i - 1);
        let (headers, data) = split_part(part, &path)?;
        check_encoding(&headers, &path)?;
        let sha2 = header(&headers, "x-experience-api-hash")
            .filter(|hash| !hash.is_empty())
            .ok_or_else(|| ValidationError::new(&path, "x-experience-api-hash is required"))?;
        attachments.push(AttachmentPart {
            sha2: sha2.to_owned(),
            content_type: header(&headers, "content-type")
                .unwrap_or("application/octet-stream")
                .to_owned(),
            data: data.to_vec(),
        });
    }
    Ok(Multipart {
        statements_json: statements_json.to_vec(),
        parts: attachments,
    })
}

/// The `boundary` parameter of a `multipart/mixed` content type.
// Not `mime`: mime 0.3 refuses the unquoted boundary of xAPI's own example (`abcABC0123'()+_,-./:=?`).
fn boundary(content_type: &str) -> Result<String> {
    let error = |rule: &str| ValidationError::new("Content-Type", rule);
    let mut params = content_type.split(';');
    if media_type(params.next().unwrap_or_default()) != "multipart/mixed" {
        return Err(error("must be multipart/mixed"));
    }
    for param in params {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("boundary") {
            continue;
        }
        let value = value.trim();
        let value = match value.strip_prefix('"') {
            Some(quoted) => quoted
                .strip_suffix('"')
                .ok_or_else(|| error("boundary has an unterminated quote"))?
                .replace("\\\"", "\"")
                .replace("\\\\", "\\"),
            None => value.to_owned(),
        };
        if value.is_empty() || value.len() > 200 {
            return Err(error("boundary must be 1 to 200 characters"));
        }
        return Ok(value);
    }
    Err(error("must have a boundary parameter"))
}

/// `type/subtype` in lowercase, without parameters.
fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The next delimiter line at or after `from`: `(end of the preceding part
/// body, position just after the delimiter)`. A delimiter starts a line (its
/// CRLF or LF belongs to it); `at_start` also accepts one at `from` itself.
/// Text after the boundary on the line must be `--`, blanks or the line end.
fn find_delimiter(
    body: &[u8],
    delimiter: &Finder<'_>,
    from: usize,
    at_start: bool,
) -> Option<(usize, usize)> {
    let mut search = from;
    while let Some(offset) = delimiter.find(&body[search..]) {
        let at = search + offset;
        let after = at + delimiter.needle().len();
        let line_start = at == from && at_start || at > 0 && body[at - 1] == b'\n';
        let rest = &body[after..];
        let terminated = rest.is_empty()
            || rest.starts_with(b"--")
            || matches!(rest[0], b'\r' | b'\n' | b' ' | b'\t');
        if line_start && terminated {
            let end = if at == from && at_start {
                at
            } else if at >= from + 2 && body[at - 2] == b'\r' {
                at - 2
            } else {
                at - 1
            };
            return Some((end.max(from), after));
        }
        search = at + 1;
    }
    None
}

/// The position after the blanks and line end that follow a delimiter.
fn skip_line_end(body: &[u8], mut position: usize) -> Option<usize> {
    while matches!(body.get(position), Some(b' ' | b'\t')) {
        position += 1;
    }
    match body.get(position..)? {
        [b'\r', b'\n', ..] => Some(position + 2),
        [b'\n', ..] => Some(position + 1),
        _ => None,
    }
}

/// A part's headers: lowercase names, trimmed values, in order.
type Headers = Vec<(String, String)>;

/// A part's headers and its body.
fn split_part<'b>(part: &'b [u8], path: &str) -> Result<(Headers, &'b [u8])> {
    let mut headers: Headers = Vec::new();
    let mut position = 0;
    loop {
        let line_end = memchr::memchr(b'\n', &part[position..])
            .map(|offset| position + offset)
            .ok_or_else(|| ValidationError::new(path, "headers must end with an empty line"))?;
        let line = &part[position..line_end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        position = line_end + 1;
        if line.is_empty() {
            return Ok((headers, &part[position..]));
        }
        let line = std::str::from_utf8(line)
            .map_err(|_| ValidationError::new(path, "headers must be utf-8 text"))?;
        if line.starts_with([' ', '\t']) {
            match headers.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                None => return Err(ValidationError::new(path, "first header line is folded")),
            }
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| ValidationError::new(path, "header line must be name:value"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn check_encoding(headers: &[(String, String)], path: &str) -> Result<()> {
    match header(headers, "content-transfer-encoding") {
        Some(encoding) if !encoding.eq_ignore_ascii_case("binary") => Err(ValidationError::new(
            path,
            "content-transfer-encoding must be binary when present",
        )),
        _ => Ok(()),
    }
}
