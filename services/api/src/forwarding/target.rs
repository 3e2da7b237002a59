//! Sending a batch of statements to a forwarding's target: an xAPI LRS (`POST
//! {url}/statements`, one request per run of statements of one xAPI version, with that
//! version's header) or a webhook (`POST {url}`, a JSON array). Any 2xx is delivered;
//! anything else, or no answer within [`REQUEST_TIMEOUT`], is a failure the caller
//! retries.

use learnlog_projector_replicated::forwardings::{Target, TargetAuth, TargetKind};
use reqwest::header::CONTENT_TYPE;
use std::time::Duration;

/// Longest wait for a target's answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A statement as the forwarder holds it: its stored JSON and its xAPI version.
pub struct Outgoing {
    pub json: Vec<u8>,
    pub version: XapiLine,
}

/// The xAPI version line a statement was stored under (its `version` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XapiLine {
    V1,
    V2,
}

impl XapiLine {
    /// The line of a stored statement: 2.0 when its `version` starts with "2.".
    pub fn of(json: &[u8]) -> Self {
        #[derive(serde::Deserialize)]
        struct Versioned {
            version: Option<String>,
        }
        match serde_json::from_slice::<Versioned>(json) {
            Ok(Versioned { version: Some(v) }) if v.starts_with("2.") => Self::V2,
            _ => Self::V1,
        }
    }

    fn header(self) -> &'static str {
        match self {
            Self::V1 => "1.0.3",
            Self::V2 => "2.0.0",
        }
    }
}

/// A JSON array of the statements' JSON.
fn array<'a>(statements: impl Iterator<Item = &'a Outgoing>) -> Vec<u8> {
    let mut body = vec![b'['];
    for (i, statement) in statements.enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&statement.json);
    }
    body.push(b']');
    body
}

/// Sends `batch` to `target`; `Err` says why it was not delivered.
pub async fn send(
    client: &reqwest::Client,
    target: &Target,
    batch: &[Outgoing],
) -> Result<(), String> {
    match target.kind {
        TargetKind::Webhook => post(client, target, &target.url, None, array(batch.iter())).await,
        TargetKind::Xapi => {
            let url = format!("{}/statements", target.url.trim_end_matches('/'));
            for run in batch.chunk_by(|a, b| a.version == b.version) {
                let body = array(run.iter());
                post(client, target, &url, Some(run[0].version), body).await?;
            }
            Ok(())
        }
    }
}

async fn post(
    client: &reqwest::Client,
    target: &Target,
    url: &str,
    version: Option<XapiLine>,
    body: Vec<u8>,
) -> Result<(), String> {
    let mut request = (client.post(url))
        .timeout(REQUEST_TIMEOUT)
        .header(CONTENT_TYPE, "application/json")
        .body(body);
    if let Some(version) = version {
        request = request.header("X-Experience-API-Version", version.header());
    }
    request = match &target.auth {
        Some(TargetAuth::Basic { username, password }) => {
            request.basic_auth(username, Some(password))
        }
        Some(TargetAuth::Bearer { token }) => request.bearer_auth(token),
        None => request,
    };
    let response = request.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    let text: String = text.chars().take(300).collect();
    Err(format!("{url} answered {status}: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_sent_under_the_version_they_were_stored_with() {
        assert_eq!(XapiLine::of(br#"{"version":"2.0.0"}"#), XapiLine::V2);
        assert_eq!(XapiLine::of(br#"{"version":"1.0.3"}"#), XapiLine::V1);
        assert_eq!(XapiLine::of(br#"{"id":"x"}"#), XapiLine::V1);
        let batch = [
            Outgoing {
                json: b"{\"a\":1}".to_vec(),
                version: XapiLine::V1,
            },
            Outgoing {
                json: b"{\"b\":2}".to_vec(),
                version: XapiLine::V1,
            },
        ];
        assert_eq!(array(batch.iter()), b"[{\"a\":1},{\"b\":2}]");
    }
}
