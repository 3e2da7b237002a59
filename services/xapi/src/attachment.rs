//! Attachment metadata in a statement (§2.9). The attachment bytes themselves
//! (multipart parts) are the API's concern, not this crate's.

use serde_json::Value;

use crate::error::Result;
use crate::formats;
use crate::json::{array, iri, language_map, required, strict_object, string};
use crate::path::At;

const KEYS: [&str; 7] = [
    "usageType",
    "display",
    "description",
    "contentType",
    "length",
    "sha2",
    "fileUrl",
];

/// Validates a statement's `attachments` array.
pub(crate) fn validate_attachments(value: &Value, at: &At<'_>) -> Result<()> {
    for (i, attachment) in array(value, at)?.iter().enumerate() {
        validate_attachment(attachment, &at.index(i))?;
    }
    Ok(())
}

fn validate_attachment(value: &Value, at: &At<'_>) -> Result<()> {
    let map = strict_object(value, at, "an attachment", &KEYS)?;
    iri(required(map, at, "usageType")?, &at.key("usageType"))?;
    language_map(required(map, at, "display")?, &at.key("display"))?;
    if let Some(description) = map.get("description") {
        language_map(description, &at.key("description"))?;
    }
    let here = at.key("contentType");
    if !formats::is_media_type(string(required(map, at, "contentType")?, &here)?) {
        return Err(here.error("must be a media type like type/subtype"));
    }
    let here = at.key("length");
    let length = required(map, at, "length")?;
    if !(length.is_u64()) {
        return Err(here.error("must be a non-negative integer"));
    }
    let here = at.key("sha2");
    if !formats::is_sha2_hex(string(required(map, at, "sha2")?, &here)?) {
        return Err(here.error("must be the hex sha-2 digest of the attachment"));
    }
    if let Some(url) = map.get("fileUrl") {
        iri(url, &at.key("fileUrl"))?;
    }
    Ok(())
}
