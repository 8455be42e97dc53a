//! Azure Blob Storage (and Azurite) through `object_store`.
//!
//! Result writes are single `Put Blob` calls, which Blob Storage applies atomically; conditional
//! writes map to `If-None-Match: *` ([`PutCondition::Create`]) and `If-Match: <etag>`
//! ([`PutCondition::Match`]), so two writers of one key cannot lose each other's decisions.
//!
//! Credentials, in order: a connection string (`AZURE_STORAGE_CONNECTION_STRING`, or given
//! explicitly; `UseDevelopmentStorage=true` means Azurite), otherwise everything
//! `MicrosoftAzureBuilder::from_env()` understands: `AZURE_STORAGE_ACCOUNT_NAME` plus an access key,
//! SAS (`AZURE_STORAGE_SAS_KEY`), client secret, workload identity, Azure CLI, and managed identity
//! (in Azure Functions through `IDENTITY_ENDPOINT` / `IDENTITY_HEADER`, which only `from_env` reads).

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::path::Path;
use object_store::{
    GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
};

use super::{Key, Object, ObjectMeta, PutCondition, Store, StoreError, Version};

/// Azurite's well-known development account.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
/// Azurite's well-known development key (public; also hard-coded in `object_store`).
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// How to reach the storage account; kept so sibling containers open with the same credentials.
#[derive(Debug, Clone)]
enum Credentials {
    ConnectionString(String),
    Environment,
}

/// A store in one container, optionally below a prefix.
#[derive(Debug, Clone)]
pub struct BlobStore {
    inner: Arc<MicrosoftAzure>,
    container: String,
    prefix: Vec<String>,
    credentials: Credentials,
    limits: RequestLimits,
}

/// The parts of a connection string driftscan uses.
#[derive(Debug, Default, PartialEq)]
struct ConnectionString {
    account: Option<String>,
    key: Option<String>,
    blob_endpoint: Option<String>,
    sas: Option<String>,
    development: bool,
}

fn parse_connection_string(cs: &str) -> Result<ConnectionString, String> {
    let mut out = ConnectionString::default();
    for part in cs.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            format!(
                "`{}` is not a key=value pair",
                part.split('=').next().unwrap_or(part)
            )
        })?;
        match k.to_ascii_lowercase().as_str() {
            "accountname" => out.account = Some(v.to_string()),
            "accountkey" => out.key = Some(v.to_string()),
            "blobendpoint" => out.blob_endpoint = Some(v.trim_end_matches('/').to_string()),
            "sharedaccesssignature" => out.sas = Some(v.trim_start_matches('?').to_string()),
            "usedevelopmentstorage" => out.development = v.eq_ignore_ascii_case("true"),
            // DefaultEndpointsProtocol, EndpointSuffix, QueueEndpoint, ...: not needed for blobs.
            _ => {}
        }
    }
    if out.development {
        out.account
            .get_or_insert_with(|| AZURITE_ACCOUNT.to_string());
        out.key.get_or_insert_with(|| AZURITE_KEY.to_string());
        out.blob_endpoint
            .get_or_insert_with(|| format!("http://127.0.0.1:10000/{AZURITE_ACCOUNT}"));
    }
    if out.account.is_none() {
        return Err("no AccountName".into());
    }
    if out.key.is_none() && out.sas.is_none() {
        return Err("neither AccountKey nor SharedAccessSignature".into());
    }
    Ok(out)
}

fn config_err(location: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Config {
        location: location.to_string(),
        reason: reason.to_string(),
    }
}

impl BlobStore {
    /// Opens `container` (below `prefix`) with the credentials of the environment: a connection
    /// string in `AZURE_STORAGE_CONNECTION_STRING` when set, `from_env()` otherwise.
    pub fn from_env(container: &str, prefix: &str) -> Result<BlobStore, StoreError> {
        match std::env::var("AZURE_STORAGE_CONNECTION_STRING") {
            Ok(cs) if !cs.trim().is_empty() => {
                BlobStore::with_connection_string(container, prefix, &cs)
            }
            _ => BlobStore::build(container, prefix, Credentials::Environment, None),
        }
    }

    /// Opens `container` (below `prefix`) with an explicit connection string.
    pub fn with_connection_string(
        container: &str,
        prefix: &str,
        cs: &str,
    ) -> Result<BlobStore, StoreError> {
        BlobStore::build(
            container,
            prefix,
            Credentials::ConnectionString(cs.to_string()),
            None,
        )
    }

    /// [`BlobStore::with_connection_string`] with a request timeout and a number of retries of
    /// its own instead of the environment's (`DRIFTSCAN_BLOB_TIMEOUT_SECS`,
    /// `DRIFTSCAN_BLOB_RETRIES`).
    pub fn with_connection_string_and_limits(
        container: &str,
        prefix: &str,
        cs: &str,
        timeout: std::time::Duration,
        retries: usize,
    ) -> Result<BlobStore, StoreError> {
        BlobStore::build(
            container,
            prefix,
            Credentials::ConnectionString(cs.to_string()),
            Some(RequestLimits::new(timeout, retries)),
        )
    }

    fn build(
        container: &str,
        prefix: &str,
        credentials: Credentials,
        limits: Option<RequestLimits>,
    ) -> Result<BlobStore, StoreError> {
        let location = format!("az://{container}/{prefix}");
        if container.is_empty() {
            return Err(config_err(&location, "no container name after `az://`"));
        }
        let prefix_key = Key::parse(prefix)?;
        let builder = match &credentials {
            Credentials::Environment => {
                MicrosoftAzureBuilder::from_env().with_container_name(container)
            }
            Credentials::ConnectionString(cs) => {
                let parsed = parse_connection_string(cs)
                    .map_err(|e| config_err(&location, format!("connection string: {e}")))?;
                let account = parsed.account.unwrap_or_default();
                let mut b = MicrosoftAzureBuilder::new()
                    .with_container_name(container)
                    .with_account(&account);
                if let Some(key) = parsed.key {
                    b = b.with_access_key(key);
                } else if let Some(sas) = parsed.sas {
                    let pairs: Vec<(String, String)> = sas
                        .split('&')
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| {
                            let v = percent_decode(v);
                            (k.to_string(), v)
                        })
                        .collect();
                    b = b.with_sas_authorization(pairs);
                }
                if let Some(endpoint) = parsed.blob_endpoint {
                    if endpoint.starts_with("http://") {
                        b = b.with_allow_http(true);
                    }
                    b = b.with_endpoint(endpoint);
                }
                b
            }
        };
        let limits = match limits {
            Some(l) => l,
            None => RequestLimits::from_env().map_err(|e| config_err(&location, e))?,
        };
        // Set key by key: replacing the client options would drop what the builder set before
        // (plain http for the emulator, settings from the environment).
        let client = |key| object_store::azure::AzureConfigKey::Client(key);
        let builder = builder
            .with_config(
                client(object_store::ClientConfigKey::Timeout),
                format!("{}ms", limits.timeout.as_millis()),
            )
            .with_config(
                client(object_store::ClientConfigKey::ConnectTimeout),
                format!("{}ms", limits.connect_timeout.as_millis()),
            )
            .with_retry(object_store::RetryConfig {
                max_retries: limits.retries,
                retry_timeout: limits.retry_budget,
                ..Default::default()
            });
        let inner = builder.build().map_err(|e| config_err(&location, e))?;
        Ok(BlobStore {
            inner: Arc::new(inner),
            container: container.to_string(),
            prefix: prefix_key.segments().map(str::to_string).collect(),
            credentials,
            limits,
        })
    }

    fn path(&self, key: &Key) -> Path {
        Path::from_iter(self.prefix.iter().map(String::as_str).chain(key.segments()))
    }

    fn key_of(&self, path: &Path) -> Option<Key> {
        let parts: Vec<String> = path.parts().map(|p| p.as_ref().to_string()).collect();
        let rest = parts.strip_prefix(self.prefix.as_slice())?;
        let decoded: Vec<String> = rest.iter().map(|p| percent_decode(p)).collect();
        Key::from_segments(&decoded).ok()
    }
}

/// How long one Blob Storage request may take and how often it is retried, so that a stalled or
/// failing storage account fails a run in bounded time instead of holding it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct RequestLimits {
    /// One request, from send to last byte: `DRIFTSCAN_BLOB_TIMEOUT_SECS`, default 30.
    timeout: std::time::Duration,
    /// Establishing a connection: a fifth of the above, at least 1 s.
    connect_timeout: std::time::Duration,
    /// Retries of a failed request (5xx, dropped connection, timeout): `DRIFTSCAN_BLOB_RETRIES`,
    /// default 4.
    retries: usize,
    /// Time from the first attempt after which no retry is made: three request timeouts.
    retry_budget: std::time::Duration,
}

impl RequestLimits {
    fn new(timeout: std::time::Duration, retries: usize) -> Self {
        RequestLimits {
            timeout,
            connect_timeout: (timeout / 5)
                .max(std::time::Duration::from_secs(1))
                .min(timeout),
            retries,
            retry_budget: timeout * 3,
        }
    }

    fn from_env() -> Result<Self, String> {
        let read = |var: &str, default: f64, max: f64| -> Result<f64, String> {
            match std::env::var(var) {
                Err(_) => Ok(default),
                Ok(v) => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0 && *x <= max)
                    .ok_or_else(|| format!("{var}=`{v}`: expected a number from 0 to {max}")),
            }
        };
        let secs = read("DRIFTSCAN_BLOB_TIMEOUT_SECS", 30.0, 600.0)?.max(0.1);
        Ok(RequestLimits::new(
            std::time::Duration::from_secs_f64(secs),
            read("DRIFTSCAN_BLOB_RETRIES", 4.0, 20.0)? as usize,
        ))
    }
}

/// `object_store` percent-encodes characters it does not allow in a path part; keys are shown
/// and compared decoded.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn blob_err(op: &'static str, key: &Key, source: object_store::Error) -> StoreError {
    StoreError::Blob {
        op,
        key: key.to_string(),
        source: Box::new(source),
    }
}

#[async_trait]
impl Store for BlobStore {
    async fn get(&self, key: &Key) -> Result<Option<Object>, StoreError> {
        match self
            .inner
            .get_opts(&self.path(key), GetOptions::default())
            .await
        {
            Ok(res) => {
                let e_tag = res.meta.e_tag.clone().unwrap_or_default();
                let bytes = res.bytes().await.map_err(|e| blob_err("reading", key, e))?;
                Ok(Some(Object {
                    bytes,
                    version: Version(e_tag),
                }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(blob_err("reading", key, e)),
        }
    }

    async fn put(
        &self,
        key: &Key,
        bytes: Bytes,
        cond: PutCondition,
    ) -> Result<Version, StoreError> {
        if key.is_root() {
            return Err(StoreError::InvalidKey {
                key: String::new(),
                reason: "cannot write to the store root".into(),
            });
        }
        let mode = match cond {
            PutCondition::Overwrite => PutMode::Overwrite,
            PutCondition::Create => PutMode::Create,
            PutCondition::Match(v) => PutMode::Update(UpdateVersion {
                e_tag: Some(v.0),
                version: None,
            }),
        };
        let opts = PutOptions {
            mode,
            ..Default::default()
        };
        match self
            .inner
            .put_opts(&self.path(key), PutPayload::from_bytes(bytes), opts)
            .await
        {
            Ok(r) => Ok(Version(r.e_tag.unwrap_or_default())),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Err(StoreError::Conflict {
                key: key.to_string(),
            }),
            // An If-Match on a blob that was deleted meanwhile answers 404.
            Err(object_store::Error::NotFound { .. }) => Err(StoreError::Conflict {
                key: key.to_string(),
            }),
            Err(e) => Err(blob_err("writing", key, e)),
        }
    }

    async fn head(&self, key: &Key) -> Result<Option<ObjectMeta>, StoreError> {
        match self.inner.head(&self.path(key)).await {
            Ok(meta) => Ok(Some(ObjectMeta {
                size: meta.size,
                tag: meta.e_tag.unwrap_or_default(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(blob_err("reading", key, e)),
        }
    }

    async fn get_range(&self, key: &Key, range: std::ops::Range<u64>) -> Result<Bytes, StoreError> {
        self.inner
            .get_range(&self.path(key), range)
            .await
            .map_err(|e| blob_err("reading", key, e))
    }

    async fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        let path = self.path(key);
        match self.inner.head(&path).await {
            Ok(_) => {}
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(blob_err("deleting", key, e)),
        }
        match self.inner.delete(&path).await {
            Ok(()) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(blob_err("deleting", key, e)),
        }
    }

    async fn list(&self, prefix: &Key) -> Result<Vec<Key>, StoreError> {
        let p = self.path(prefix);
        let metas: Vec<_> = self
            .inner
            .list(if p.as_ref().is_empty() {
                None
            } else {
                Some(&p)
            })
            .try_collect()
            .await
            .map_err(|e| blob_err("listing", prefix, e))?;
        let mut keys: Vec<Key> = metas
            .iter()
            .filter_map(|m| self.key_of(&m.location))
            .collect();
        keys.sort();
        Ok(keys)
    }

    async fn list_folders(&self, prefix: &Key) -> Result<Vec<String>, StoreError> {
        let p = self.path(prefix);
        let res = self
            .inner
            .list_with_delimiter(if p.as_ref().is_empty() {
                None
            } else {
                Some(&p)
            })
            .await
            .map_err(|e| blob_err("listing", prefix, e))?;
        let mut out: Vec<String> = res
            .common_prefixes
            .iter()
            .filter_map(|cp| cp.filename().map(percent_decode))
            .collect();
        out.sort();
        Ok(out)
    }

    fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("az://{}", self.container)
        } else {
            format!("az://{}/{}", self.container, self.prefix.join("/"))
        }
    }

    fn sibling_container(&self, container: &str) -> Result<Arc<dyn Store>, StoreError> {
        Ok(Arc::new(BlobStore::build(
            container,
            "",
            self.credentials.clone(),
            Some(self.limits),
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings_table() {
        let cs = parse_connection_string(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;",
        )
        .unwrap();
        assert_eq!(cs.account.as_deref(), Some("devstoreaccount1"));
        assert_eq!(cs.key.as_deref(), Some("a2V5"));
        assert_eq!(
            cs.blob_endpoint.as_deref(),
            Some("http://127.0.0.1:10000/devstoreaccount1")
        );
        let dev = parse_connection_string("UseDevelopmentStorage=true").unwrap();
        assert_eq!(dev.key.as_deref(), Some(AZURITE_KEY));
        let sas =
            parse_connection_string("AccountName=a;SharedAccessSignature=?sv=1&sig=x%2B").unwrap();
        assert_eq!(sas.sas.as_deref(), Some("sv=1&sig=x%2B"));
        assert!(
            parse_connection_string("AccountName=a")
                .unwrap_err()
                .contains("neither")
        );
        assert!(
            parse_connection_string("AccountKey=k")
                .unwrap_err()
                .contains("AccountName")
        );
        assert!(
            parse_connection_string("garbage")
                .unwrap_err()
                .contains("key=value")
        );
    }
}
