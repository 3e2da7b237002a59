//! Sending one request to one projector and bringing its answer back. Hop-by-hop
//! headers stay behind; everything else (credentials, xAPI version, preconditions,
//! content types, ETags, Consistent-Through) passes through untouched.

use actix_web::http::{header, Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

/// The request as it arrived, kept to be sent again.
pub(crate) struct Incoming {
    pub method: Method,
    pub path_and_query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Bytes,
}

/// A projector's answer.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Bytes,
}

/// Why no answer came.
pub(crate) enum Failure {
    /// The projector was not reached: the request was not delivered, sending it
    /// elsewhere is safe.
    Unreached(String),
    /// The request may have been delivered and acted on; no answer came.
    Lost(String),
}

/// Headers that belong to one connection, not to the request.
fn hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "content-length"
    )
}

/// The headers of a message that travel on with it.
fn end_to_end<'a>(headers: impl Iterator<Item = (&'a str, &'a [u8])>) -> Vec<(String, Vec<u8>)> {
    headers
        .filter(|(name, _)| !hop_by_hop(name))
        .map(|(name, value)| (name.to_owned(), value.to_vec()))
        .collect()
}

impl Incoming {
    pub fn new(request: &HttpRequest, body: Bytes) -> Incoming {
        let headers = end_to_end(
            request
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
        );
        let path_and_query = request
            .uri()
            .path_and_query()
            .map_or_else(|| request.path().to_owned(), |pq| pq.as_str().to_owned());
        Incoming {
            method: request.method().clone(),
            path_and_query,
            headers,
            body,
        }
    }

    /// True for requests that change nothing, which may be sent again after an answer
    /// was lost.
    pub fn is_safe(&self) -> bool {
        matches!(self.method, Method::GET | Method::HEAD | Method::OPTIONS)
    }

    /// Sends `request` with this request's headers; the answer's status and the headers
    /// that travel on, with the response to read the body from.
    async fn deliver(
        &self,
        mut request: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, Vec<(String, Vec<u8>)>, reqwest::Response), Failure> {
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_slice());
        }
        let response = request.send().await.map_err(|error| {
            if error.is_connect() {
                Failure::Unreached(error.to_string())
            } else {
                Failure::Lost(error.to_string())
            }
        })?;
        let status = StatusCode::from_u16(response.status().as_u16())
            .map_err(|error| Failure::Lost(error.to_string()))?;
        let headers = end_to_end(
            response
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
        );
        Ok((status, headers, response))
    }

    /// Sends the request to the projector at `base` (`http://address:port`).
    pub async fn send(&self, client: &reqwest::Client, base: &str) -> Result<Answer, Failure> {
        let method = reqwest::Method::from_bytes(self.method.as_str().as_bytes())
            .map_err(|error| Failure::Unreached(error.to_string()))?;
        let request = client
            .request(method, format!("{base}{}", self.path_and_query))
            .body(self.body.clone());
        let (status, headers, response) = self.deliver(request).await?;
        let body = response
            .bytes()
            .await
            .map_err(|error| Failure::Lost(error.to_string()))?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// What a projector made of a subscription.
pub(crate) enum Opened {
    /// 200: the stream, passing through.
    Streaming(HttpResponse),
    /// Any other answer (a 421 names the partition's owner).
    Refused(Answer),
}

/// How long a forwarded stream may stay open: a subscriber reconnects after this.
const STREAM_FOR: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

impl Incoming {
    /// True for subscriptions (`/v1/streams/…`): answers that stay open, passed on as
    /// they come rather than read whole.
    pub fn is_stream(&self) -> bool {
        self.method == Method::GET && self.path_and_query.starts_with("/v1/streams/")
    }

    /// Sends a subscription to the projector at `base`; a 200 is passed on chunk by
    /// chunk until either side leaves, any other answer is read whole.
    pub async fn open_stream(
        &self,
        client: &reqwest::Client,
        base: &str,
    ) -> Result<Opened, Failure> {
        let request = client
            .get(format!("{base}{}", self.path_and_query))
            .timeout(STREAM_FOR);
        let (status, headers, response) = self.deliver(request).await?;
        if status != StatusCode::OK {
            let body = response
                .bytes()
                .await
                .map_err(|error| Failure::Lost(error.to_string()))?;
            return Ok(Opened::Refused(Answer {
                status,
                headers,
                body,
            }));
        }
        let chunks = futures::stream::unfold(response, |mut response| async move {
            match response.chunk().await {
                Ok(Some(chunk)) => Some((Ok::<_, actix_web::Error>(chunk), response)),
                // the projector ended the stream or went away: so does this one, and
                // the subscriber reconnects with its Last-Event-ID
                Ok(None) | Err(_) => None,
            }
        });
        let mut answer = HttpResponse::build(status);
        for (name, value) in &headers {
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                header::HeaderValue::from_bytes(value),
            ) {
                answer.append_header((name, value));
            }
        }
        Ok(Opened::Streaming(answer.streaming(chunks)))
    }
}

impl Answer {
    /// The partition a 421 names: the request belongs to that partition's owner.
    pub fn misdirected_to(&self) -> Option<u32> {
        if self.status != StatusCode::MISDIRECTED_REQUEST {
            return None;
        }
        self.header(learnlog_cluster::PARTITION_HEADER)?
            .parse()
            .ok()
    }

    /// The value of a response header, as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
    }

    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                header::HeaderValue::from_bytes(value),
            ) {
                response.append_header((name, value));
            }
        }
        response.body(self.body)
    }
}
