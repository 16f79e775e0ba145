//! Evidence upload with the tus 1.0 protocol: the client (feature `http`). The
//! protocol constants and the metadata codec are [`liuhen_domain::upload`], re-exported
//! here so device code finds everything under one path.

pub use liuhen_domain::upload::*;

#[cfg(feature = "http")]
pub use client::{DEFAULT_CHUNK_SIZE, DEFAULT_RETRY_BASE, TusClient, UploadError, UploadOutcome};

#[cfg(feature = "http")]
mod client {
    use std::fs::File;
    use std::io::{Read, Seek, SeekFrom};
    use std::path::Path;
    use std::time::Duration;

    use reqwest::StatusCode;
    use reqwest::blocking::{Client, RequestBuilder, Response};
    use reqwest::header::{HeaderMap, LOCATION};

    use super::*;

    /// Default bytes per `PATCH` (well under any body limit of a proxy).
    pub const DEFAULT_CHUNK_SIZE: usize = 1024 * 1024;

    /// Consecutive failures without progress before giving up.
    const MAX_ATTEMPTS: u32 = 5;

    /// The wait after the first failure without progress; it doubles with each
    /// further one (0.4, 0.8, 1.6, 3.2 s before giving up for this sync run).
    pub const DEFAULT_RETRY_BASE: Duration = Duration::from_millis(400);

    /// Why an upload did not complete.
    #[derive(Debug, thiserror::Error)]
    pub enum UploadError {
        /// The server could not be reached or the connection broke (try again later;
        /// the upload resumes where the server got to).
        #[error("无法连接服务器或连接中断（{0}）；稍后将从中断处继续上传")]
        Network(String),
        /// The device token was refused (expired, revoked, unknown).
        #[error("设备凭据被服务器拒绝（{code}）：{message}")]
        Unauthorized {
            /// Machine code from the server, e.g. `token_revoked`.
            code: String,
            /// The server's message.
            message: String,
        },
        /// The server refused the upload.
        #[error("服务器拒绝上传（HTTP {status}，{code}）：{message}")]
        Rejected {
            /// HTTP status.
            status: u16,
            /// Machine code from the server.
            code: String,
            /// The server's message.
            message: String,
        },
        /// The bytes that arrived do not hash to the declared SHA-256; the server
        /// discarded them and did not mark the blob received.
        #[error(
            "证据文件 {sha256} 的内容与声明的哈希不符，服务器已丢弃；请检查本机证据文件后重新上传"
        )]
        HashMismatch {
            /// The declared hash.
            sha256: String,
        },
        /// The local file could not be read.
        #[error("读取本地证据文件失败：{0}")]
        Io(#[from] std::io::Error),
    }

    /// What an upload did.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct UploadOutcome {
        /// The upload URL (absolute).
        pub url: String,
        /// Size of the file.
        pub size: u64,
        /// Bytes this call sent (0 when the server already had the blob).
        pub bytes_sent: u64,
        /// Whether the server already had the blob and nothing was sent.
        pub already_present: bool,
        /// Whether an earlier upload was resumed.
        pub resumed: bool,
    }

    /// A tus client for one server and one device token (blocking; run it off the UI
    /// thread and outside any async runtime).
    #[derive(Debug, Clone)]
    pub struct TusClient {
        /// Server base URL, e.g. `https://liuhen.example.gov.cn`.
        pub base_url: String,
        /// Device token (Bearer).
        pub token: String,
        /// Bytes per `PATCH`.
        pub chunk_size: usize,
        /// The wait after the first failure without progress, doubled after each
        /// further one ([`DEFAULT_RETRY_BASE`]).
        pub retry_base: Duration,
        http: Result<Client, String>,
    }

    /// The server's answer to a `HEAD`.
    enum Head {
        /// The upload exists: offset and length.
        Found { offset: u64, length: u64 },
        /// The upload is gone (unknown, expired, or discarded after a hash mismatch).
        Gone,
    }

    /// A failed step: retry (after asking the server for the offset) or give up.
    enum Step {
        Retry(UploadError),
        Fatal(UploadError),
    }

    impl TusClient {
        /// A client for `base_url` with a device token and [`DEFAULT_CHUNK_SIZE`].
        pub fn new(base_url: &str, token: &str) -> Self {
            let http = Client::builder()
                .connect_timeout(Duration::from_secs(15))
                // Per request: one chunk on a slow mobile link.
                .timeout(Duration::from_secs(300))
                .build()
                .map_err(|e| e.to_string());
            TusClient {
                base_url: base_url.trim_end_matches('/').to_string(),
                token: token.to_string(),
                chunk_size: DEFAULT_CHUNK_SIZE,
                retry_base: DEFAULT_RETRY_BASE,
                http,
            }
        }

        /// The same client with another first retry wait (see [`DEFAULT_RETRY_BASE`]).
        pub fn with_retry_base(mut self, retry_base: Duration) -> Self {
            self.retry_base = retry_base;
            self
        }

        /// The same client with another chunk size (at least 1 byte).
        pub fn with_chunk_size(mut self, chunk_size: usize) -> Self {
            self.chunk_size = chunk_size.max(1);
            self
        }

        fn http(&self) -> Result<&Client, UploadError> {
            self.http
                .as_ref()
                .map_err(|e| UploadError::Network(format!("无法初始化 HTTPS 客户端：{e}")))
        }

        fn request(
            &self,
            method: reqwest::Method,
            url: &str,
        ) -> Result<RequestBuilder, UploadError> {
            Ok(self
                .http()?
                .request(method, url)
                .bearer_auth(&self.token)
                .header("Tus-Resumable", TUS_VERSION))
        }

        /// Uploads the file at `path`, declared to hash to `sha256`, for an
        /// inspection. With `resume` (an upload URL from an earlier attempt) it goes
        /// on from where the server got to; otherwise, or if that upload is gone, it
        /// creates a new one. `on_url` gets the upload URL as soon as it is known, so
        /// the caller can persist it and resume after the app is killed.
        pub fn upload(
            &self,
            path: &Path,
            sha256: &str,
            inspection_id: &str,
            media_type: &str,
            resume: Option<&str>,
            on_url: &mut dyn FnMut(&str),
        ) -> Result<UploadOutcome, UploadError> {
            let mut file = File::open(path)?;
            let size = file.metadata()?.len();
            let mut resumed = None;
            if let Some(url) = resume {
                match self.head(url, sha256) {
                    Ok(Head::Found { offset, length }) if length == size => {
                        resumed = Some((url.to_string(), offset));
                    }
                    // Another file's upload, or gone: start afresh.
                    Ok(_) => {}
                    Err(Step::Retry(e) | Step::Fatal(e)) => return Err(e),
                }
            }
            let (url, offset, created) = match resumed {
                Some((url, offset)) => (url, offset, false),
                None => {
                    let filename = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    let (url, offset) =
                        self.create(size, sha256, inspection_id, media_type, filename)?;
                    on_url(&url);
                    (url, offset, true)
                }
            };
            let bytes_sent = self.send(&url, &mut file, sha256, size, offset)?;
            Ok(UploadOutcome {
                url,
                size,
                bytes_sent,
                already_present: created && offset >= size,
                resumed: !created,
            })
        }

        /// Creates an upload (`POST`); returns its absolute URL and the offset the
        /// server reports (the full length when it already has the blob).
        pub fn create(
            &self,
            size: u64,
            sha256: &str,
            inspection_id: &str,
            media_type: &str,
            filename: &str,
        ) -> Result<(String, u64), UploadError> {
            let endpoint = format!("{}{FILES_PATH}", self.base_url);
            let metadata = encode_metadata([
                (meta::SHA256, sha256),
                (meta::INSPECTION_ID, inspection_id),
                (meta::FILENAME, filename),
                (meta::MEDIA_TYPE, media_type),
            ]);
            let resp = self
                .request(reqwest::Method::POST, &endpoint)?
                .header("Upload-Length", size.to_string())
                .header("Upload-Metadata", metadata)
                .send()
                .map_err(network)?;
            if resp.status() != StatusCode::CREATED {
                return Err(refusal(resp, sha256));
            }
            let location = resp
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| protocol_error("服务器创建上传后没有返回 Location"))?;
            let url = reqwest::Url::parse(&endpoint)
                .and_then(|base| base.join(location))
                .map_err(|_| protocol_error("服务器返回的 Location 无效"))?
                .to_string();
            let offset = header_u64(resp.headers(), "Upload-Offset").unwrap_or(0);
            Ok((url, offset.min(size)))
        }

        /// Sends the file from `offset` on, chunk by chunk; after a failed chunk it
        /// asks the server for its offset and goes on from there. Returns bytes sent.
        fn send(
            &self,
            url: &str,
            file: &mut File,
            sha256: &str,
            size: u64,
            mut offset: u64,
        ) -> Result<u64, UploadError> {
            let mut sent = 0u64;
            let mut failures = 0u32;
            let mut buf = vec![0u8; self.chunk_size.max(1)];
            while offset < size {
                let n = (size - offset).min(buf.len() as u64) as usize;
                file.seek(SeekFrom::Start(offset))?;
                file.read_exact(&mut buf[..n])?;
                let err = match self.patch(url, offset, &buf[..n], sha256) {
                    Ok(new_offset) => {
                        if new_offset > offset {
                            sent += new_offset - offset;
                            failures = 0;
                        }
                        offset = new_offset;
                        continue;
                    }
                    Err(Step::Fatal(e)) => return Err(e),
                    Err(Step::Retry(e)) => e,
                };
                // Ask the server where it got to, and go on from there.
                let mut err = err;
                loop {
                    failures += 1;
                    if failures >= MAX_ATTEMPTS {
                        return Err(err);
                    }
                    std::thread::sleep(self.retry_base.saturating_mul(1 << (failures - 1)));
                    match self.head(url, sha256) {
                        Ok(Head::Found { offset: o, length }) if length == size => {
                            offset = o;
                            break;
                        }
                        Ok(_) => {
                            return Err(UploadError::Rejected {
                                status: 404,
                                code: "upload_not_found".into(),
                                message: "服务器上的上传已不存在（可能已过期或被丢弃）".into(),
                            });
                        }
                        Err(Step::Fatal(e)) => return Err(e),
                        Err(Step::Retry(e)) => err = e,
                    }
                }
            }
            Ok(sent)
        }

        /// One `PATCH`; returns the server's new offset.
        fn patch(&self, url: &str, offset: u64, chunk: &[u8], sha256: &str) -> Result<u64, Step> {
            let resp = self
                .request(reqwest::Method::PATCH, url)
                .map_err(Step::Fatal)?
                .header("Content-Type", OFFSET_OCTET_STREAM)
                .header("Upload-Offset", offset.to_string())
                .header("Upload-Checksum", chunk_checksum(chunk))
                .body(chunk.to_vec())
                .send()
                .map_err(|e| Step::Retry(network(e)))?;
            let status = resp.status();
            if status == StatusCode::NO_CONTENT || status == StatusCode::OK {
                return header_u64(resp.headers(), "Upload-Offset")
                    .ok_or_else(|| Step::Fatal(protocol_error("服务器没有返回 Upload-Offset")));
            }
            let err = refusal(resp, sha256);
            Err(match (&err, status.as_u16()) {
                (UploadError::HashMismatch { .. } | UploadError::Unauthorized { .. }, _) => {
                    Step::Fatal(err)
                }
                // The server kept what arrived and stopped (a newer request took over).
                (UploadError::Rejected { code, .. }, _) if code == CODE_INTERRUPTED => {
                    Step::Retry(err)
                }
                // A chunk damaged on the way, an offset that moved (an earlier request
                // still running), a locked upload, a busy or failing server: retry.
                (_, STATUS_CHECKSUM_MISMATCH | 409 | 423 | 408 | 429 | 500..=599) => {
                    Step::Retry(err)
                }
                _ => Step::Fatal(err),
            })
        }

        fn head(&self, url: &str, sha256: &str) -> Result<Head, Step> {
            let resp = self
                .request(reqwest::Method::HEAD, url)
                .map_err(Step::Fatal)?
                .send()
                .map_err(|e| Step::Retry(network(e)))?;
            let status = resp.status();
            if status.is_success() {
                let offset = header_u64(resp.headers(), "Upload-Offset");
                let length = header_u64(resp.headers(), "Upload-Length");
                return match (offset, length) {
                    (Some(offset), Some(length)) => Ok(Head::Found { offset, length }),
                    _ => Err(Step::Fatal(protocol_error(
                        "服务器没有返回 Upload-Offset 或 Upload-Length",
                    ))),
                };
            }
            match status.as_u16() {
                404 | 410 => Ok(Head::Gone),
                // Every byte arrived but did not hash to the declared SHA-256.
                STATUS_CHECKSUM_MISMATCH => Err(Step::Fatal(UploadError::HashMismatch {
                    sha256: sha256.to_string(),
                })),
                401 => {
                    let code = resp
                        .headers()
                        .get(ERROR_CODE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("unauthorized")
                        .to_string();
                    let message = match code.as_str() {
                        "token_revoked" => "此设备已被管理员停用，请联系管理员重新登记",
                        _ => "设备凭据无效或已过期，请重新登记设备",
                    };
                    Err(Step::Fatal(UploadError::Unauthorized {
                        code,
                        message: message.into(),
                    }))
                }
                408 | 429 | 500..=599 => Err(Step::Retry(UploadError::Rejected {
                    status: status.as_u16(),
                    code: "server_error".into(),
                    message: format!("服务器暂时无法处理（HTTP {}）", status.as_u16()),
                })),
                s => Err(Step::Fatal(UploadError::Rejected {
                    status: s,
                    code: "head_failed".into(),
                    message: format!("查询上传进度失败（HTTP {s}）"),
                })),
            }
        }
    }

    fn network(e: reqwest::Error) -> UploadError {
        UploadError::Network(e.to_string())
    }

    fn protocol_error(message: &str) -> UploadError {
        UploadError::Rejected {
            status: 0,
            code: "protocol".into(),
            message: message.into(),
        }
    }

    fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
        headers.get(name)?.to_str().ok()?.trim().parse().ok()
    }

    /// Turns a refusal into an error, reading the JSON `{code, message}` body.
    fn refusal(resp: Response, sha256: &str) -> UploadError {
        #[derive(serde::Deserialize)]
        struct Body {
            code: String,
            message: String,
        }
        let status = resp.status().as_u16();
        let bytes = resp.bytes().unwrap_or_default();
        let (code, message) = match serde_json::from_slice::<Body>(&bytes) {
            Ok(b) => (b.code, b.message),
            Err(_) => (
                format!("http_{status}"),
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
            ),
        };
        match status {
            401 => UploadError::Unauthorized { code, message },
            STATUS_CHECKSUM_MISMATCH if code == CODE_BLOB_HASH => UploadError::HashMismatch {
                sha256: sha256.to_string(),
            },
            _ => UploadError::Rejected {
                status,
                code,
                message,
            },
        }
    }
}
