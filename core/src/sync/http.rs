//! The HTTP transport of the sync client: JSON over HTTPS (or HTTP on loopback) with
//! the device token as a Bearer credential; evidence goes up with tus.

use std::path::Path;
use std::time::Duration;

use super::client::{Exchange, Transport, TransportError};
use super::protocol::{ApiError, SYNC_PATH, SyncRequest, SyncResponse};
use crate::upload::{TusClient, UploadError};

/// Sync over HTTP with reqwest.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    base_url: String,
    token: String,
    client: reqwest::blocking::Client,
    tus: TusClient,
}

impl HttpTransport {
    /// A transport to `base_url` (e.g. `https://liuhen.example.gov.cn`) with a device token.
    pub fn new(base_url: &str, token: &str) -> Result<Self, TransportError> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| TransportError::Network(e.to_string()))?;
        let base_url = base_url.trim_end_matches('/').to_string();
        Ok(HttpTransport {
            tus: TusClient::new(&base_url, token),
            base_url,
            token: token.to_string(),
            client,
        })
    }

    /// The same transport with another first wait between an upload's retries
    /// ([`crate::upload::DEFAULT_RETRY_BASE`]; tests on loopback use less).
    pub fn with_upload_retry_base(mut self, retry_base: Duration) -> Self {
        self.tus = self.tus.with_retry_base(retry_base);
        self
    }
}

/// Classifies a non-success HTTP answer.
pub(crate) fn http_error(status: u16, body: &[u8]) -> TransportError {
    let api: Option<ApiError> = serde_json::from_slice(body).ok();
    let (code, message) = match api {
        Some(a) => (a.code, a.message),
        None => (
            "unknown".to_string(),
            String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        ),
    };
    match status {
        401 => TransportError::Unauthorized { code, message },
        500..=599 => TransportError::Server { status, message },
        // Rate limiting or a proxy timeout: worth retrying.
        408 | 429 => TransportError::Server { status, message },
        _ => TransportError::Rejected {
            status,
            code,
            message,
        },
    }
}

/// Classifies an upload failure: only what cannot succeed by retrying (the local
/// file no longer matches its hash, a permanent refusal) is final.
fn upload_error(e: UploadError) -> TransportError {
    match e {
        UploadError::Network(m) => TransportError::Network(m),
        UploadError::Unauthorized { code, message } => {
            TransportError::Unauthorized { code, message }
        }
        UploadError::Rejected {
            status,
            code,
            message,
        } if matches!(status, 408 | 409 | 423 | 429 | 460 | 500..=599)
            && code != "blob_hash_mismatch" =>
        {
            TransportError::Server { status, message }
        }
        UploadError::Rejected { code, .. } if code == "upload_interrupted" => {
            TransportError::Network(code)
        }
        UploadError::Io(e) => TransportError::Rejected {
            status: 0,
            code: "local_file_unreadable".into(),
            message: e.to_string(),
        },
        other => TransportError::Rejected {
            status: 0,
            code: "upload_failed".into(),
            message: other.to_string(),
        },
    }
}

impl Transport for HttpTransport {
    fn exchange(&self, req: &SyncRequest) -> Result<Exchange, TransportError> {
        let body = serde_json::to_vec(req).map_err(|e| TransportError::Decode(e.to_string()))?;
        if body.len() > super::protocol::MAX_REQUEST_BYTES {
            return Err(TransportError::Rejected {
                status: 413,
                code: "body_too_large".into(),
                message: format!(
                    "同步请求 {} 字节，超过服务器上限 {} 字节；单条记录过大，请联系管理员",
                    body.len(),
                    super::protocol::MAX_REQUEST_BYTES
                ),
            });
        }
        let sent = body.len() as u64;
        let resp = self
            .client
            .post(format!("{}{SYNC_PATH}", self.base_url))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .map_err(|e| TransportError::Network(e.to_string()))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .map_err(|e| TransportError::Network(e.to_string()))?;
        if !(200..300).contains(&status) {
            return Err(http_error(status, &bytes));
        }
        let response: SyncResponse =
            serde_json::from_slice(&bytes).map_err(|e| TransportError::Decode(e.to_string()))?;
        Ok(Exchange {
            response,
            bytes_sent: sent,
            bytes_received: bytes.len() as u64,
        })
    }

    fn upload(
        &self,
        path: &Path,
        sha256: &str,
        inspection_id: &str,
        media_type: &str,
        resume_url: Option<&str>,
        on_url: &mut dyn FnMut(&str),
    ) -> Result<u64, TransportError> {
        let outcome = self
            .tus
            .upload(path, sha256, inspection_id, media_type, resume_url, on_url)
            .map_err(upload_error)?;
        Ok(outcome.bytes_sent)
    }
}

/// Device settings keys for the server connection.
const SERVER_URL_KEY: &str = "server_url";
const TOKEN_KEY: &str = "device_token";

/// How the device proves who enrolls it.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// The officer's login and password.
    Password {
        /// Login.
        login: String,
        /// Password.
        password: String,
    },
    /// A one-time enrollment code from an admin (or its QR payload).
    Code(String),
}

/// The enrolled officer as the server returns it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct EnrolledUser {
    /// User id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Roster officer id.
    pub officer_id: Option<String>,
}

#[derive(serde::Deserialize)]
struct EnrollAnswer {
    token: String,
    user: EnrolledUser,
}

/// Parses a code or a QR payload `liuhen://enroll?server=<url>&code=<code>`:
/// returns (server url if given, code).
pub fn parse_enrollment(input: &str) -> (Option<String>, String) {
    let input = input.trim();
    if let Some(query) = input.strip_prefix("liuhen://enroll?") {
        let mut server = None;
        let mut code = String::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("server", v)) => server = Some(percent_decode(v)),
                Some(("code", v)) => code = percent_decode(v),
                _ => {}
            }
        }
        return (server, code);
    }
    (None, input.to_string())
}

/// Decodes `%XX` escapes of a query value (the server percent-encodes its URL in
/// the QR payload); malformed escapes are kept as they are.
fn percent_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(hex) = v.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The server this device enrolled with, if any.
pub fn server_url(core: &crate::Core) -> Result<Option<String>, super::SyncError> {
    Ok(core
        .store()
        .device_value(SERVER_URL_KEY)
        .map_err(crate::CoreError::from)?
        .and_then(|v| String::from_utf8(v).ok()))
}

/// Enrolls this device with the server: registers its public key and automerge
/// actor id, and keeps the device token in the store.
pub fn enroll(
    core: &mut crate::Core,
    base_url: &str,
    credentials: Credentials,
    device_name: &str,
) -> Result<EnrolledUser, super::SyncError> {
    let base_url = base_url.trim_end_matches('/');
    let mut body = serde_json::json!({
        "device_id": core.device().device_id,
        "public_key": hex::encode(core.device().verifying_key().to_bytes()),
        "actor_id": core.device().actor.to_hex_string(),
        "device_name": device_name,
    });
    match credentials {
        Credentials::Password { login, password } => {
            body["login"] = login.into();
            body["password"] = password.into();
        }
        Credentials::Code(code) => body["code"] = code.into(),
    }
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| TransportError::Network(e.to_string()))?;
    let resp = client
        .post(format!("{base_url}/api/v1/enroll"))
        .json(&body)
        .send()
        .map_err(|e| TransportError::Network(e.to_string()))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .bytes()
        .map_err(|e| TransportError::Network(e.to_string()))?;
    if !(200..300).contains(&status) {
        return Err(http_error(status, &bytes).into());
    }
    let answer: EnrollAnswer =
        serde_json::from_slice(&bytes).map_err(|e| TransportError::Decode(e.to_string()))?;
    let store = core.store();
    store
        .set_device_value(SERVER_URL_KEY, base_url.as_bytes())
        .map_err(crate::CoreError::from)?;
    store
        .set_device_value(TOKEN_KEY, answer.token.as_bytes())
        .map_err(crate::CoreError::from)?;
    core.set_enrolled_user(&answer.user.id)?;
    Ok(answer.user)
}

/// A sync client for the server this device enrolled with, or `None` if it has not
/// enrolled.
pub fn client_for(
    core: &crate::Core,
) -> Result<Option<super::SyncClient<HttpTransport>>, super::SyncError> {
    let get = |k: &str| -> Result<Option<String>, super::SyncError> {
        Ok(core
            .store()
            .device_value(k)
            .map_err(crate::CoreError::from)?
            .and_then(|v| String::from_utf8(v).ok()))
    };
    match (get(SERVER_URL_KEY)?, get(TOKEN_KEY)?) {
        (Some(url), Some(token)) => Ok(Some(super::SyncClient::new(HttpTransport::new(
            &url, &token,
        )?))),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_payload_is_decoded() {
        let (server, code) =
            parse_enrollment("liuhen://enroll?server=http%3A%2F%2F127.0.0.1%3A8080&code=K7PM2QXA");
        assert_eq!(server.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(code, "K7PM2QXA");
        assert_eq!(
            parse_enrollment(" K7PM2QXA "),
            (None, "K7PM2QXA".to_string())
        );
        // A broken escape stays as it is rather than being guessed.
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%E5%BC%A0"), "张");
    }
}
