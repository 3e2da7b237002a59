//! Signed statements: the input is the signature part (a JWS in compact serialization,
//! or anything else) of a statement that declares it as its signature attachment. The
//! JWS header (algorithm, `x5c` certificates), payload and signature are parsed from
//! untrusted bytes; a forged or broken one must be refused, never crash.
#![no_main]

use learnlog_xapi::{check_signatures, AttachmentPart, SIGNATURE_USAGE_TYPE};

libfuzzer_sys::fuzz_target!(|jws: &[u8]| {
    let sha2 = "0".repeat(64);
    let statement = serde_json::json!({
        "actor": {"mbox": "mailto:fuzz@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": "http://example.org/activity"},
        "attachments": [{
            "usageType": SIGNATURE_USAGE_TYPE,
            "display": {"en-US": "signature"},
            "contentType": "application/octet-stream",
            "length": jws.len(),
            "sha2": sha2,
        }],
    });
    let part = AttachmentPart {
        sha2,
        content_type: "application/octet-stream".into(),
        data: jws.to_vec(),
    };
    let _ = check_signatures(&statement, &[part]);
});
