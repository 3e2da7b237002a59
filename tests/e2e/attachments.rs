//! Statements with attachments: multipart/mixed requests, fileUrl-only attachments,
//! and the checks that reject mismatched parts.

use crate::support::{new_id, Learnlog};
use reqwest::Method;

const BOUNDARY: &str = "abcABC0123456789";

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn statement_with_attachment(id: &str, sha2: &str, file_url: bool) -> String {
    let url = if file_url {
        r#","fileUrl":"https://example.org/files/certificate.txt""#
    } else {
        ""
    };
    format!(
        concat!(
            r#"{{"id":"{id}","actor":{{"mbox":"mailto:a@example.org"}},"#,
            r#""verb":{{"id":"http://adlnet.gov/expapi/verbs/completed"}},"#,
            r#""object":{{"id":"https://example.org/courses/1"}},"#,
            r#""attachments":[{{"usageType":"https://example.org/usage/certificate","#,
            r#""display":{{"en-US":"certificate"}},"contentType":"text/plain","#,
            r#""length":16,"sha2":"{sha2}"{url}}}]}}"#
        ),
        id = id,
        sha2 = sha2,
        url = url,
    )
}

pub(crate) fn multipart(statement: &str, parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = format!("--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n{statement}\r\n")
        .into_bytes();
    for (sha2, data) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha2}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--").as_bytes());
    body
}

pub(crate) fn post_multipart(server: &Learnlog, body: Vec<u8>) -> reqwest::blocking::Response {
    server
        .xapi(Method::POST, "/xapi/statements")
        .header(
            "Content-Type",
            format!("multipart/mixed; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .unwrap()
}

#[test]
fn multipart_statement_with_its_attachment_is_stored() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let content = b"hello attachment";
    let sha2 = sha256_hex(content);
    let id = new_id();
    let body = multipart(
        &statement_with_attachment(&id, &sha2, false),
        &[(&sha2, content)],
    );
    let response = post_multipart(&server, body);
    assert_eq!(response.status(), 200, "{}", response.text().unwrap());
    let stored: serde_json::Value = server.get_statement(&id).json().unwrap();
    assert_eq!(stored["attachments"][0]["sha2"], sha2.as_str());
}

#[test]
fn attachment_without_data_or_file_url_is_rejected() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let id = new_id();
    let sha2 = sha256_hex(b"never sent");
    let json = server.post_statements(&statement_with_attachment(&id, &sha2, false));
    assert_eq!(json.status(), 400, "application/json needs fileUrl");
    let missing_part = post_multipart(
        &server,
        multipart(&statement_with_attachment(&id, &sha2, false), &[]),
    );
    assert_eq!(missing_part.status(), 400, "multipart without the part");
    assert_eq!(server.get_statement(&id).status(), 404);
}

#[test]
fn file_url_attachments_need_no_part_and_excess_parts_are_rejected() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let sha2 = sha256_hex(b"remote file");
    let id = new_id();
    assert_eq!(
        server
            .post_statements(&statement_with_attachment(&id, &sha2, true))
            .status(),
        200
    );

    let other = new_id();
    let stray: &[u8] = b"stray bytes";
    let stray_sha2 = sha256_hex(stray);
    let body = multipart(
        &statement_with_attachment(&other, &sha2, true),
        &[(&stray_sha2, stray)],
    );
    assert_eq!(post_multipart(&server, body).status(), 400);
    assert_eq!(server.get_statement(&other).status(), 404);
}

#[test]
fn form_data_content_type_is_rejected() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let response = server
        .xapi(Method::POST, "/xapi/statements")
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart("{}", &[]))
        .send()
        .unwrap();
    assert_eq!(response.status(), 400);
}
