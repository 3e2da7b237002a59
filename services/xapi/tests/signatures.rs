//! Signed statements (xAPI Data §2.6 Signed Statements): a JWS built here with a freshly generated
//! RSA key and a self-signed x5c certificate.

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use learnlog_xapi::{check_signatures, AttachmentPart, SIGNATURE_USAGE_TYPE};
use rsa::pkcs1v15::SigningKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha512};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::Encode;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

const SIGNATURE_HASH: &str = "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634";

/// An RSA key (1024 bits: a debug build makes bigger ones slowly) and a
/// self-signed certificate of it, base64 DER as in `x5c`; made once per run.
fn key_and_certificate() -> &'static (RsaPrivateKey, String) {
    static KEY: OnceLock<(RsaPrivateKey, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 1024).expect("key generated");
        (key.clone(), certificate_for(key))
    })
}

fn certificate_for(key: RsaPrivateKey) -> String {
    let spki = SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).expect("spki");
    let signer = SigningKey::<Sha256>::new(key);
    let builder = CertificateBuilder::new(
        Profile::Root,
        SerialNumber::from(1u32),
        Validity::from_now(Duration::from_secs(3600)).expect("validity"),
        Name::from_str("CN=learnlog test signer").expect("name"),
        spki,
        &signer,
    )
    .expect("builder");
    let certificate = builder
        .build::<rsa::pkcs1v15::Signature>()
        .expect("certificate");
    STANDARD.encode(certificate.to_der().expect("der"))
}

fn statement() -> Value {
    json!({
        "actor": {"objectType": "Agent", "mbox": "mailto:signer@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
        "object": {"objectType": "Activity", "id": "http://example.com/signed"},
        "timestamp": "2026-01-02T03:04:05.678Z"
    })
}

/// The statement with a signature attachment pointing at `SIGNATURE_HASH`.
fn signed_statement(content_type: &str) -> Value {
    let mut signed = statement();
    signed["attachments"] = json!([{
        "usageType": SIGNATURE_USAGE_TYPE,
        "display": {"en-US": "signature"},
        "contentType": content_type,
        "length": 1,
        "sha2": SIGNATURE_HASH
    }]);
    signed
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWS compact serialization of `payload` with `header`, signed with `key`
/// (RS256, or RS512 when the header says so).
fn jws(header: &Value, payload: &[u8], key: &RsaPrivateKey) -> String {
    let signing_input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload));
    let signature = if header["alg"] == "RS512" {
        let digest = Sha512::digest(signing_input.as_bytes());
        key.sign(Pkcs1v15Sign::new::<Sha512>(), &digest)
    } else {
        let digest = Sha256::digest(signing_input.as_bytes());
        key.sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
    }
    .expect("signed");
    format!("{signing_input}.{}", b64(&signature))
}

fn part(jws: &str) -> Vec<AttachmentPart> {
    vec![AttachmentPart {
        sha2: SIGNATURE_HASH.into(),
        content_type: "application/octet-stream".into(),
        data: jws.as_bytes().to_vec(),
    }]
}

fn check(jws: &str) -> Result<(), String> {
    check_signatures(&signed_statement("application/octet-stream"), &part(jws))
        .map_err(|e| e.to_string())
}

fn x5c_header(alg: &str) -> Value {
    json!({"alg": alg, "x5c": [key_and_certificate().1]})
}

#[test]
fn a_statement_signed_with_the_key_of_its_x5c_certificate_is_accepted() {
    let (key, _) = key_and_certificate();
    let payload = statement().to_string();
    check(&jws(&x5c_header("RS256"), payload.as_bytes(), key)).expect("rs256 verifies");
    check(&jws(&x5c_header("RS512"), payload.as_bytes(), key)).expect("rs512 verifies");
}

#[test]
fn a_signature_made_with_another_key_than_the_x5c_certificate_is_rejected() {
    let other = RsaPrivateKey::new(&mut rand::thread_rng(), 1024).expect("key generated");
    let error = check(&jws(
        &x5c_header("RS256"),
        statement().to_string().as_bytes(),
        &other,
    ))
    .expect_err("rejected");
    assert!(error.contains("does not verify"), "{error}");
}

#[test]
fn a_tampered_payload_under_an_x5c_signature_is_rejected() {
    let (key, _) = key_and_certificate();
    let honest = jws(
        &x5c_header("RS256"),
        statement().to_string().as_bytes(),
        key,
    );
    let mut pieces: Vec<String> = honest.split('.').map(str::to_owned).collect();
    let mut reordered = json!({});
    for field in ["timestamp", "object", "verb", "actor"] {
        reordered[field] = statement()[field].clone();
    }
    pieces[1] = b64(reordered.to_string().as_bytes());
    let error = check(&pieces.join(".")).expect_err("rejected");
    assert!(error.contains("does not verify"), "{error}");
}

#[test]
fn without_x5c_a_well_formed_rs384_signature_is_accepted_unverified() {
    let (key, _) = key_and_certificate();
    let mut payload = statement();
    payload["id"] = json!("f8f5f9a6-43e6-4b19-8b2d-4fbb9d4d6d13");
    payload["timestamp"] = json!("2026-01-02T04:04:05.678+01:00");
    check(&jws(
        &json!({"alg": "RS384"}),
        payload.to_string().as_bytes(),
        key,
    ))
    .expect("accepted");
}

#[test]
fn an_hs256_signature_is_rejected() {
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let error = check(&format!(
        "{header}.{}.c2ln",
        b64(statement().to_string().as_bytes())
    ))
    .expect_err("rejected");
    assert!(error.contains("HS256"), "{error}");
}

#[test]
fn a_garbage_payload_is_rejected() {
    let header = b64(br#"{"alg":"RS256"}"#);
    let error = check(&format!("{header}.{}.c2ln", b64(b"'"))).expect_err("rejected");
    assert!(error.contains("payload must be json"), "{error}");
    assert!(check("not a jws").is_err());
    assert!(check(&format!("{header}.!!!.c2ln")).is_err());
}

#[test]
fn a_payload_differing_from_the_statement_is_rejected() {
    let (key, _) = key_and_certificate();
    let mut payload = statement();
    payload["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/failed");
    let error = check(&jws(
        &x5c_header("RS256"),
        payload.to_string().as_bytes(),
        key,
    ))
    .expect_err("rejected");
    assert!(error.contains("same statement"), "{error}");

    let mut payload = statement();
    payload["id"] = json!("f8f5f9a6-43e6-4b19-8b2d-4fbb9d4d6d13");
    let mut signed = signed_statement("application/octet-stream");
    signed["id"] = json!("00000000-43e6-4b19-8b2d-4fbb9d4d6d13");
    let jws = jws(
        &json!({"alg": "RS256"}),
        payload.to_string().as_bytes(),
        key,
    );
    assert!(
        check_signatures(&signed, &part(&jws)).is_err(),
        "ids differ"
    );
}

#[test]
fn a_signature_attachment_must_be_application_octet_stream() {
    let (key, _) = key_and_certificate();
    let jws = jws(
        &json!({"alg": "RS256"}),
        statement().to_string().as_bytes(),
        key,
    );
    let error =
        check_signatures(&signed_statement("text/plain"), &part(&jws)).expect_err("rejected");
    assert_eq!(
        error.to_string(),
        "attachments[0].contentType: must be application/octet-stream for a signature"
    );
}

#[test]
fn a_signature_attachment_without_its_part_is_rejected() {
    assert!(check_signatures(&signed_statement("application/octet-stream"), &[]).is_err());
    check_signatures(&statement(), &[]).expect("unsigned statements pass");
}
