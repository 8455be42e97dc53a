//! A loopback HTTP proxy in front of a real server (Azurite) that breaks the requests it is told
//! to: answers 503, drops the connection, stalls, or cuts the response body short. Requests are
//! relayed one by one, each on a fresh upstream connection, so a fault hits exactly the requests
//! whose path matches.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What happens to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Relayed unchanged.
    None,
    /// Answered `503 Service Unavailable`.
    ServerError,
    /// The connection is closed without an answer.
    Drop,
    /// Never answered (until the client gives up).
    Stall,
    /// The upstream answer is relayed with only half of its body, then the connection closes.
    PartialBody,
}

/// The proxy; stops when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:<port>`, to use in place of the upstream's address.
    pub url: String,
    rule: Arc<Mutex<(String, Fault)>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// A proxy to `upstream` (`host:port`), relaying everything until [`FaultProxy::set`].
    pub async fn start(upstream: String) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let rule = Arc::new(Mutex::new((String::new(), Fault::None)));
        let shared = Arc::clone(&rule);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let rule = Arc::clone(&shared);
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, &rule).await;
                });
            }
        });
        FaultProxy { url, rule, task }
    }

    /// From now on, requests whose path contains `path_part` get `fault`.
    pub fn set(&self, path_part: &str, fault: Fault) {
        *self.rule.lock().unwrap() = (path_part.to_string(), fault);
    }
}

/// Reads one request (head and `Content-Length` body) from the client.
async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(buf))
}

/// Relays one request of a client connection, applying the fault rule, then closes it.
async fn serve(
    mut client: TcpStream,
    upstream: &str,
    rule: &Mutex<(String, Fault)>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    {
        let line = String::from_utf8_lossy(&request[..request.len().min(2048)]).to_string();
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let (part, fault) = rule.lock().unwrap().clone();
        let fault = if !part.is_empty() && path.contains(&part) {
            fault
        } else {
            Fault::None
        };
        match fault {
            Fault::ServerError => {
                client
                    .write_all(
                        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .await?;
                return Ok(());
            }
            Fault::Drop => return Ok(()),
            Fault::Stall => {
                tokio::time::sleep(Duration::from_secs(600)).await;
                return Ok(());
            }
            Fault::None | Fault::PartialBody => {}
        }
        // One upstream connection per request: ask the upstream to close after its answer, so
        // the answer ends where the stream ends; the client then sees the close too and opens
        // a new connection for its next request.
        let head_end = request
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(0)
            + 4;
        let head: Vec<&str> = std::str::from_utf8(&request[..head_end])
            .unwrap_or("")
            .trim_end()
            .split("\r\n")
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .collect();
        let mut forwarded =
            format!("{}\r\nConnection: close\r\n\r\n", head.join("\r\n")).into_bytes();
        forwarded.extend_from_slice(&request[head_end..]);
        let mut up = TcpStream::connect(upstream).await?;
        up.write_all(&forwarded).await?;
        let mut answer = Vec::new();
        up.read_to_end(&mut answer).await?;
        if fault == Fault::PartialBody
            && let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n")
        {
            let body = answer.len() - (end + 4);
            client.write_all(&answer[..end + 4 + body / 2]).await?;
            return Ok(());
        }
        client.write_all(&answer).await?;
    }
    Ok(())
}
