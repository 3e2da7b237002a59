//! Attachment parts against statements, and multipart responses (xAPI
//! Communication §1.5.2 Multipart/Mixed, `attachments` of §2.1.3): which parts a batch of statements needs and allows, whether a
//! part's bytes have the digest it claims, and the framing of a
//! `multipart/mixed` response.

use serde_json::Value;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::error::{Result, ValidationError};
use crate::multipart::AttachmentPart;

/// Checks attachment parts against the statements' `attachments` metadata:
/// every attachment without a `fileUrl` needs a part with its `sha2`; every
/// part's hash must be the `sha2` of some attachment (else it is an excess
/// part); and a part whose hash is 64, 96 or 128 hex digits must have that
/// SHA-256, SHA-384 or SHA-512 digest. Hashes compare ignoring case.
pub fn check_attachments(statements: &[Value], parts: &[AttachmentPart]) -> Result<()> {
    let mut declared = Vec::new();
    for (s, statement) in statements.iter().enumerate() {
        let Some(Value::Array(attachments)) = statement.get("attachments") else {
            continue;
        };
        for (a, attachment) in attachments.iter().enumerate() {
            let sha2 = attachment.get("sha2").and_then(Value::as_str).unwrap_or("");
            declared.push(sha2);
            let has_part = parts
                .iter()
                .any(|part| part.sha2.eq_ignore_ascii_case(sha2));
            if attachment.get("fileUrl").is_none() && !has_part {
                return Err(ValidationError::new(
                    format!("statements[{s}].attachments[{a}]"),
                    "needs a fileUrl or a multipart part with its sha2",
                ));
            }
        }
    }
    for (i, part) in parts.iter().enumerate() {
        let path = format!("multipart.parts[{i}]");
        if !declared
            .iter()
            .any(|sha2| part.sha2.eq_ignore_ascii_case(sha2))
        {
            return Err(ValidationError::new(
                path,
                "x-experience-api-hash matches no attachment sha2 (excess part)",
            ));
        }
        let digest = match part.sha2.len() {
            64 => hex::encode(Sha256::digest(&part.data)),
            96 => hex::encode(Sha384::digest(&part.data)),
            128 => hex::encode(Sha512::digest(&part.data)),
            _ => continue,
        };
        if !digest.eq_ignore_ascii_case(&part.sha2) {
            return Err(ValidationError::new(
                path,
                "data does not have the sha-2 digest in x-experience-api-hash",
            ));
        }
    }
    Ok(())
}

/// A `multipart/mixed` response body (§3.5): the JSON part, then one part per
/// attachment with `Content-Type`, `Content-Transfer-Encoding: binary` and
/// `X-Experience-API-Hash`, CRLF framing, ending with `--boundary--`. The
/// caller picks a boundary (plain alphanumerics) that occurs in no part.
pub fn write_multipart(boundary: &str, json: &[u8], parts: &[AttachmentPart]) -> Vec<u8> {
    let size = json.len() + parts.iter().map(|p| p.data.len() + 200).sum::<usize>();
    let mut out = Vec::with_capacity(size + 100);
    out.extend_from_slice(
        format!("--{boundary}\r\nContent-Type: application/json\r\n\r\n").as_bytes(),
    );
    out.extend_from_slice(json);
    for part in parts {
        out.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Type: {}\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {}\r\n\r\n",
                part.content_type, part.sha2
            )
            .as_bytes(),
        );
        out.extend_from_slice(&part.data);
    }
    out.extend_from_slice(format!("\r\n--{boundary}--").as_bytes());
    out
}
