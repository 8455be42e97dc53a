//! Azurite, the Blob Storage stand-in, on a free loopback port.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use driftscan::store::{self, BlobStore, Store};
use sha2::{Digest, Sha256};

/// A running Azurite blob service on a free loopback port with one container; stopped on drop.
pub struct Azurite {
    child: Child,
    /// Blob endpoint, `http://127.0.0.1:<port>/devstoreaccount1`.
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn azurite_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("DRIFTSCAN_AZURITE_BIN") {
        return Some(PathBuf::from(p));
    }
    let local =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/node_modules/.bin/azurite-blob");
    local.exists().then_some(local)
}

/// Starts Azurite, or explains why it cannot (see [`super::component_missing`]).
pub fn start_azurite() -> Option<Azurite> {
    let Some(bin) = azurite_bin() else {
        return super::component_missing(
            "Azurite",
            "DRIFTSCAN_AZURITE_BIN is not set and .tools/node_modules has no azurite-blob",
        );
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(&bin)
        // `--inMemoryPersistence` cannot be combined with `--location`; the data goes to a
        // temporary folder removed with the instance.
        .args([
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            &port.to_string(),
            "--location",
        ])
        .arg(dir.path())
        .args(["--skipApiVersionCheck", "--loose", "--disableTelemetry"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start Azurite `{}`: {e}", bin.display()));
    let mut az = Azurite {
        child,
        endpoint: format!("http://127.0.0.1:{port}/devstoreaccount1"),
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = az.child.try_wait() {
            panic!(
                "Azurite `{}` exited with {status} before listening",
                bin.display()
            );
        }
        assert!(
            Instant::now() < deadline,
            "Azurite did not listen on port {port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(az)
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
}

impl Azurite {
    /// Connection string for the development account at this instance.
    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={};BlobEndpoint={};",
            store::blob::AZURITE_KEY,
            self.endpoint
        )
    }

    /// Creates a container with one Shared-Key-signed `PUT ?restype=container`
    /// (object_store cannot create containers).
    pub async fn create_container(&self, name: &str) {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let account = store::blob::AZURITE_ACCOUNT;
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let version = "2021-08-06";
        let string_to_sign = format!(
            "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{account}/{account}/{name}\nrestype:container"
        );
        let key = b64.decode(store::blob::AZURITE_KEY).unwrap();
        let sig = b64.encode(hmac_sha256(&key, string_to_sign.as_bytes()));
        let resp = reqwest::Client::new()
            .put(format!("{}/{name}?restype=container", self.endpoint))
            .header("x-ms-date", &date)
            .header("x-ms-version", version)
            .header("Content-Length", "0")
            .header("Authorization", format!("SharedKey {account}:{sig}"))
            .send()
            .await
            .expect("container PUT reaches Azurite");
        assert_eq!(
            resp.status().as_u16(),
            201,
            "creating container `{name}`: {}",
            resp.text().await.unwrap_or_default()
        );
    }

    /// A blob store in a fresh container.
    pub async fn store(&self, container: &str) -> Arc<dyn Store> {
        self.create_container(container).await;
        Arc::new(
            BlobStore::with_connection_string(container, "", &self.connection_string()).unwrap(),
        )
    }
}
