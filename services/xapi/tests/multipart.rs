//! Receiving and writing multipart/mixed bodies (xAPI Communication §1.5.2 Multipart/Mixed).

use learnlog_xapi::{check_attachments, parse_multipart, write_multipart, AttachmentPart};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const BOUNDARY: &str = "-------314159265358979323846";
const TYPE: &str = "multipart/mixed; boundary=-------314159265358979323846";
const STATEMENT: &str = r#"{"actor":{"mbox":"mailto:a@example.com"}}"#;
const DATA: &str = "here is a simple attachment";

fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn with_attachment(file_url: bool) -> Value {
    let mut attachment = json!({
        "usageType": "http://example.com/usage",
        "display": {"en-US": "a file"},
        "contentType": "text/plain",
        "length": DATA.len(),
        "sha2": sha256(DATA.as_bytes())
    });
    if file_url {
        attachment["fileUrl"] = json!("http://example.com/file.txt");
    }
    json!({"attachments": [attachment]})
}

/// A body with the statements part and one text/plain attachment part.
fn body() -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n{STATEMENT}\r\n\
         --{BOUNDARY}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n\
         X-Experience-API-Hash: {}\r\n\r\n{DATA}\r\n--{BOUNDARY}--\r\n",
        sha256(DATA.as_bytes())
    )
}

fn rule_of(result: Result<impl std::fmt::Debug, learnlog_xapi::ValidationError>) -> String {
    result.expect_err("must be rejected").to_string()
}

#[test]
fn a_well_formed_body_splits_into_statements_and_parts() {
    let multipart = parse_multipart(TYPE, body().as_bytes()).expect("accepted");
    assert_eq!(multipart.statements_json, STATEMENT.as_bytes());
    assert_eq!(
        multipart.parts,
        [AttachmentPart {
            sha2: sha256(DATA.as_bytes()),
            content_type: "text/plain".into(),
            data: DATA.as_bytes().to_vec(),
        }]
    );
    check_attachments(&[with_attachment(false)], &multipart.parts).expect("parts match");
}

#[test]
fn quoted_boundaries_leading_crlf_any_header_case_and_no_space_after_colon_are_accepted() {
    let boundary = "-------------__uuid__123__456";
    let body = format!(
        "\r\n--{boundary}\r\ncontent-type:application/json; charset=utf-8\r\n\r\n{STATEMENT}\r\n\
         --{boundary}\r\nCONTENT-TYPE:text/plain\r\nx-experience-api-hash:{}\r\n\r\n{DATA}\r\n--{boundary}--",
        sha256(DATA.as_bytes())
    );
    let content_type = format!("Multipart/Mixed; charset=utf-8; Boundary=\"{boundary}\"");
    let multipart = parse_multipart(&content_type, body.as_bytes()).expect("accepted");
    assert_eq!(multipart.statements_json, STATEMENT.as_bytes());
    assert_eq!(multipart.parts[0].data, DATA.as_bytes());
}

#[test]
fn a_preamble_before_the_first_delimiter_is_skipped() {
    let body = format!("This is a preamble.\r\n{}", body());
    let multipart = parse_multipart(TYPE, body.as_bytes()).expect("accepted");
    assert_eq!(multipart.statements_json, STATEMENT.as_bytes());
}

#[test]
fn a_body_with_only_the_statements_part_is_accepted() {
    let body = format!(
        "--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n{STATEMENT}\r\n--{BOUNDARY}--"
    );
    let multipart = parse_multipart(TYPE, body.as_bytes()).expect("accepted");
    assert!(multipart.parts.is_empty());
    check_attachments(&[json!({})], &multipart.parts).expect("no attachments");
}

#[test]
fn binary_data_with_crlf_and_dashes_is_kept_byte_for_byte() {
    let data: Vec<u8> = b"\r\n--not-the-boundary\r\n\x00\xff--".to_vec();
    let parts = [AttachmentPart {
        sha2: sha256(&data),
        content_type: "application/octet-stream".into(),
        data,
    }];
    let written = write_multipart("abc123", STATEMENT.as_bytes(), &parts);
    let read = parse_multipart("multipart/mixed; boundary=abc123", &written).expect("accepted");
    assert_eq!(read.statements_json, STATEMENT.as_bytes());
    assert_eq!(read.parts, parts);
}

#[test]
fn the_unquoted_boundary_of_the_xapi_example_is_read() {
    let boundary = "abcABC0123'()+_,-./:=?";
    let written = write_multipart(boundary, STATEMENT.as_bytes(), &[]);
    let content_type = format!("multipart/mixed; boundary={boundary}");
    let read = parse_multipart(&content_type, &written).expect("accepted");
    assert_eq!(read.statements_json, STATEMENT.as_bytes());
}

#[test]
fn the_written_response_uses_crlf_framing_and_part_headers() {
    let parts = [AttachmentPart {
        sha2: "ab".into(),
        content_type: "text/plain".into(),
        data: b"hi".to_vec(),
    }];
    let written = String::from_utf8(write_multipart("b1", b"{}", &parts)).expect("utf-8");
    assert_eq!(
        written,
        "--b1\r\nContent-Type: application/json\r\n\r\n{}\r\n--b1\r\nContent-Type: text/plain\r\n\
         Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ab\r\n\r\nhi\r\n--b1--"
    );
}

#[test]
fn a_missing_boundary_or_another_multipart_type_is_rejected() {
    assert!(rule_of(parse_multipart("multipart/mixed;", body().as_bytes())).contains("boundary"));
    assert!(rule_of(parse_multipart("multipart/mixed", body().as_bytes())).contains("boundary"));
    let form = "multipart/form-data; boundary=-------314159265358979323846";
    assert!(rule_of(parse_multipart(form, body().as_bytes())).contains("multipart/mixed"));
}

#[test]
fn a_first_part_that_is_not_json_is_rejected() {
    let body = body().replacen("application/json", "text/plain", 1);
    assert!(rule_of(parse_multipart(TYPE, body.as_bytes())).contains("application/json"));
}

#[test]
fn json_in_the_preamble_does_not_count_as_the_first_part() {
    let body = format!(
        "Content-Type: application/json\r\n\r\n{STATEMENT}\r\n--{BOUNDARY}\r\nContent-Type: text/plain\r\n\
         X-Experience-API-Hash: {}\r\n\r\n{DATA}\r\n--{BOUNDARY}--",
        sha256(DATA.as_bytes())
    );
    let error = rule_of(parse_multipart(TYPE, body.as_bytes()));
    assert!(error.starts_with("multipart.statements"), "{error}");
}

#[test]
fn a_later_part_without_a_hash_header_is_rejected() {
    let body = body().replace("X-Experience-API-Hash", "X-Something-Else");
    assert!(rule_of(parse_multipart(TYPE, body.as_bytes()))
        .contains("x-experience-api-hash is required"));
}

#[test]
fn a_content_transfer_encoding_other_than_binary_is_rejected() {
    let body = body().replace(
        "Content-Transfer-Encoding: binary",
        "Content-Transfer-Encoding: base64",
    );
    assert!(rule_of(parse_multipart(TYPE, body.as_bytes())).contains("content-transfer-encoding"));
}

#[test]
fn a_body_without_delimiter_or_closing_delimiter_is_rejected() {
    assert!(parse_multipart(TYPE, STATEMENT.as_bytes()).is_err());
    let truncated = body().replace(&format!("--{BOUNDARY}--"), "");
    assert!(parse_multipart(TYPE, truncated.as_bytes()).is_err());
    assert!(parse_multipart(TYPE, b"").is_err());
}

#[test]
fn an_attachment_without_file_url_or_part_is_rejected() {
    let error = rule_of(check_attachments(&[with_attachment(false)], &[]));
    assert_eq!(
        error,
        "statements[0].attachments[0]: needs a fileUrl or a multipart part with its sha2"
    );
}

#[test]
fn file_url_attachments_need_no_part_but_may_have_one() {
    check_attachments(&[with_attachment(true)], &[]).expect("fileUrl only");
    let multipart = parse_multipart(TYPE, body().as_bytes()).expect("accepted");
    check_attachments(&[with_attachment(true)], &multipart.parts)
        .expect("raw data beside a fileUrl");
}

#[test]
fn a_part_matching_no_attachment_is_an_excess_part() {
    let multipart = parse_multipart(TYPE, body().as_bytes()).expect("accepted");
    let error = rule_of(check_attachments(&[json!({})], &multipart.parts));
    assert!(error.contains("excess part"), "{error}");
}

#[test]
fn a_part_whose_data_does_not_have_its_declared_hash_is_rejected() {
    let body = body().replace(DATA, "something else entirely");
    let multipart = parse_multipart(TYPE, body.as_bytes()).expect("parsed");
    let error = rule_of(check_attachments(
        &[with_attachment(false)],
        &multipart.parts,
    ));
    assert!(error.contains("digest"), "{error}");
}

proptest::proptest! {
    #[test]
    fn parsing_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
        let _ = parse_multipart("multipart/mixed; boundary=b", &bytes);
    }

    #[test]
    fn parsing_never_panics_on_a_truncated_or_corrupted_body(cut in 0usize..400, at in 0usize..400, byte in proptest::prelude::any::<u8>()) {
        let mut bytes = body().into_bytes();
        if at < bytes.len() {
            bytes[at] = byte;
        }
        bytes.truncate(cut);
        let _ = parse_multipart(TYPE, &bytes);
    }
}
