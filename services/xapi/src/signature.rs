//! Signed statements (xAPI Data §2.6 Signed Statements): checking the JWS in each signature
//! attachment of a received statement against that statement.
//!
//! A signature attachment has usageType [`SIGNATURE_USAGE_TYPE`] and
//! contentType `application/octet-stream`; its multipart part holds a JWS
//! compact serialization `b64url(header).b64url(payload).b64url(signature)`.
//! The header's `alg` must be RS256, RS384 or RS512; the payload must be a JSON
//! object equal to the statement as [`statements_equivalent_with`] with
//! `ignore_attachments` sees it (and with the same `id` when both have one).
//! When the header carries `x5c`, the signature is verified with the public
//! key of its first certificate; the certificate chain itself is not checked
//! (no trust store, no validity dates). Without `x5c` nothing is verified
//! cryptographically: there is no key to verify with.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::Certificate;

use crate::equivalence::{statements_equivalent_with, Equivalence};
use crate::error::{Result, ValidationError};
use crate::multipart::AttachmentPart;

/// The usageType of a signature attachment.
pub const SIGNATURE_USAGE_TYPE: &str = "http://adlnet.gov/expapi/attachments/signature";

/// The RSASSA-PKCS1-v1_5 algorithms a statement signature may use.
#[derive(Clone, Copy, Debug)]
enum Algorithm {
    Rs256,
    Rs384,
    Rs512,
}

/// Checks every signature attachment of `statement` (its top-level
/// `attachments`) against its part in `parts` (found by `sha2`). A statement
/// without signature attachments passes.
pub fn check_signatures(statement: &Value, parts: &[AttachmentPart]) -> Result<()> {
    let Some(Value::Array(attachments)) = statement.get("attachments") else {
        return Ok(());
    };
    for (i, attachment) in attachments.iter().enumerate() {
        if attachment.get("usageType").and_then(Value::as_str) != Some(SIGNATURE_USAGE_TYPE) {
            continue;
        }
        let path = format!("attachments[{i}]");
        if attachment.get("contentType").and_then(Value::as_str) != Some("application/octet-stream")
        {
            return Err(ValidationError::new(
                format!("{path}.contentType"),
                "must be application/octet-stream for a signature",
            ));
        }
        let sha2 = attachment.get("sha2").and_then(Value::as_str).unwrap_or("");
        let part = parts
            .iter()
            .find(|part| part.sha2.eq_ignore_ascii_case(sha2))
            .ok_or_else(|| {
                ValidationError::new(&path, "a signature must be sent as a multipart part")
            })?;
        check_jws(statement, &part.data).map_err(|rule| ValidationError::new(&path, rule))?;
    }
    Ok(())
}

/// Checks one JWS against the statement; the error is the rule broken.
fn check_jws(statement: &Value, jws: &[u8]) -> std::result::Result<(), String> {
    let jws = std::str::from_utf8(jws)
        .map_err(|_| "signature must be a jws compact serialization (utf-8 text)")?
        .trim();
    let pieces: Vec<&str> = jws.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = pieces[..] else {
        return Err("signature must be a jws compact serialization of three parts".into());
    };
    let header = decode_json(header_b64, "header")?;
    let algorithm = match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => Algorithm::Rs256,
        Some("RS384") => Algorithm::Rs384,
        Some("RS512") => Algorithm::Rs512,
        Some(other) => {
            return Err(format!(
                "signature alg {other} is not allowed, use RS256, RS384 or RS512"
            ))
        }
        None => return Err("signature header must have an alg".into()),
    };
    let payload = decode_json(payload_b64, "payload")?;
    if !payload.is_object() {
        return Err("signature payload must be a json object".into());
    }
    let ids_differ = matches!(
        (payload.get("id"), statement.get("id")),
        (Some(a), Some(b)) if a != b
    );
    let options = Equivalence {
        ignore_attachments: true,
    };
    if ids_differ || !statements_equivalent_with(&payload, statement, options) {
        return Err("signature payload must be the same statement as the one signed".into());
    }
    let signature = decode(signature_b64, "signature")?;
    if let Some(chain) = header.get("x5c") {
        let key = first_certificate_key(chain)?;
        let signed = format!("{header_b64}.{payload_b64}");
        verify(&key, algorithm, signed.as_bytes(), &signature)?;
    }
    Ok(())
}

/// Base64url without padding (trailing `=` tolerated).
fn decode(text: &str, what: &str) -> std::result::Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| format!("signature {what} must be base64url"))
}

fn decode_json(text: &str, what: &str) -> std::result::Result<Value, String> {
    let bytes = decode(text, what)?;
    serde_json::from_slice(&bytes).map_err(|_| format!("signature {what} must be json"))
}

/// The RSA public key of the first certificate of an `x5c` header (an array of
/// base64 DER certificates).
fn first_certificate_key(chain: &Value) -> std::result::Result<RsaPublicKey, String> {
    let first = chain
        .as_array()
        .and_then(|chain| chain.first())
        .and_then(Value::as_str)
        .ok_or("signature header x5c must be a non-empty array of certificates")?;
    let der = STANDARD
        .decode(first)
        .map_err(|_| "signature header x5c[0] must be base64")?;
    let certificate = Certificate::from_der(&der)
        .map_err(|_| "signature header x5c[0] must be an x.509 certificate")?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| "signature header x5c[0] has an unreadable public key")?;
    RsaPublicKey::from_public_key_der(&spki)
        .map_err(|_| "signature header x5c[0] must hold an rsa public key".into())
}

fn verify(
    key: &RsaPublicKey,
    algorithm: Algorithm,
    signed: &[u8],
    signature: &[u8],
) -> std::result::Result<(), String> {
    let result = match algorithm {
        Algorithm::Rs256 => key.verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(signed),
            signature,
        ),
        Algorithm::Rs384 => key.verify(
            Pkcs1v15Sign::new::<Sha384>(),
            &Sha384::digest(signed),
            signature,
        ),
        Algorithm::Rs512 => key.verify(
            Pkcs1v15Sign::new::<Sha512>(),
            &Sha512::digest(signed),
            signature,
        ),
    };
    result.map_err(|_| "signature does not verify with the x5c certificate's key".into())
}
