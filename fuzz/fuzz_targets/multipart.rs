//! `multipart/mixed` statement requests: the input's first line is the `Content-Type`
//! header, the rest the body. A body that splits is taken down the write path: the
//! statements part parsed and validated, the attachment parts matched to the
//! statements' declared hashes, signatures checked.
#![no_main]

use learnlog_xapi::{
    check_attachments, check_json_limits, check_signatures, parse_multipart, parse_statement_batch,
    JsonLimits, XapiVersion,
};

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let split = input
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(input.len());
    let Ok(content_type) = std::str::from_utf8(&input[..split]) else {
        return;
    };
    let body = input.get(split + 1..).unwrap_or_default();
    let Ok(multipart) = parse_multipart(content_type, body) else {
        return;
    };
    let limits = JsonLimits {
        max_depth: 32,
        max_string_bytes: 256 << 10,
    };
    if check_json_limits(&multipart.statements_json, limits).is_err() {
        return;
    }
    let Ok(statements) = parse_statement_batch(&multipart.statements_json, XapiVersion::V2_0_0)
    else {
        return;
    };
    if check_attachments(&statements, &multipart.parts).is_ok() {
        for statement in &statements {
            let _ = check_signatures(statement, &multipart.parts);
        }
    }
});
