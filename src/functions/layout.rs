//! The deployable Functions app: `host.json`, one folder per function with its `function.json`,
//! and the handler binary.
//!
//! The HTTP functions forward their requests unchanged (`enableForwardingHttpRequest`), so they
//! only need routes wide enough to cover the REST API; the timer functions are generated, one per
//! enabled detector, named `drift-<detector>` (see [`crate::detector::TIMER_FUNCTION_PREFIX`]).
//! The repository's `host.json` and `functions/` are exactly what [`host_json`] and
//! [`http_functions`] produce (a test keeps them in step).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::detector::{Detector, TIMER_FUNCTION_PREFIX};

/// Name of the handler executable inside the app folder.
pub const HANDLER_EXECUTABLE: &str = "driftscan";

/// Why the app folder or package could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// A file operation failed.
    #[error("{op} `{path}`")]
    Io {
        /// What was attempted.
        op: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Writing the zip failed.
    #[error("writing zip `{path}`")]
    Zip {
        /// The zip file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: zip::result::ZipError,
    },
    /// The app folder lacks `host.json`.
    #[error("`{0}` has no host.json; run `driftscan functions generate --out {0}` first")]
    NoHostJson(PathBuf),
    /// Two enabled detectors whose timer functions' names differ only in case: Azure Functions
    /// names ignore case, so one folder would stand for both (and one would overwrite the other on
    /// a case-insensitive file system).
    #[error(
        "detectors `{0}` and `{1}` would have timer functions whose names differ only in case, which Azure Functions takes for one function; disable one, or recreate it under another name"
    )]
    NamesDifferOnlyInCase(String, String),
    /// The handler binary is missing.
    #[error(
        "handler binary `{0}` not found; build it with `cargo build --release` or pass --binary"
    )]
    NoBinary(PathBuf),
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> LayoutError + 'a {
    move |source| LayoutError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// `host.json`: custom handler `driftscan serve`, forwarded HTTP requests, extension bundle 4.x.
/// The store location comes from the `DRIFTSCAN_STORE` app setting.
pub fn host_json() -> Value {
    json!({
        "version": "2.0",
        "customHandler": {
            "description": {
                "defaultExecutablePath": HANDLER_EXECUTABLE,
                "workingDirectory": "",
                "arguments": ["serve"]
            },
            "enableForwardingHttpRequest": true
        },
        "extensionBundle": {
            "id": "Microsoft.Azure.Functions.ExtensionBundle",
            "version": "[4.*, 5.0.0)"
        },
        "extensions": {"http": {"routePrefix": "api"}},
        "functionTimeout": "00:10:00",
        "logging": {"logLevel": {"default": "Information"}}
    })
}

/// The HTTP functions (folder name, `function.json`) that carry the REST API.
pub fn http_functions() -> Vec<(&'static str, Value)> {
    let http = |route: &str, methods: &[&str]| {
        json!({"bindings": [
            {"type": "httpTrigger", "direction": "in", "name": "req", "authLevel": "function",
             "methods": methods, "route": route},
            {"type": "http", "direction": "out", "name": "res"}
        ]})
    };
    vec![
        ("detectors", http("detectors", &["get", "post"])),
        (
            "detector",
            http("detectors/{name}", &["get", "put", "delete"]),
        ),
        (
            "detector-action",
            http("detectors/{name}/{action}", &["get", "post"]),
        ),
        // Prometheus' scrape of `/api/metrics` (the key as the `code` query parameter).
        ("metrics", http("metrics", &["get"])),
    ]
}

/// The timer function of a detector: its NCRONTAB schedule (UTC), monitored so that a missed run
/// fires once with `IsPastDue`.
pub fn timer_function(detector: &Detector) -> Value {
    json!({"bindings": [{
        "name": "timer", "type": "timerTrigger", "direction": "in",
        "schedule": detector.timer_schedule(),
        "runOnStartup": false,
        "useMonitor": true
    }]})
}

fn write_json(path: &Path, value: &Value) -> Result<(), LayoutError> {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    fs::write(path, text).map_err(io("writing", path))
}

/// What [`generate`] wrote.
#[derive(Debug, Default)]
pub struct Generated {
    /// Timer functions written, by function name.
    pub timers: Vec<String>,
    /// Stale timer functions removed (detector deleted or disabled).
    pub removed: Vec<String>,
}

/// Writes an app folder: `host.json`, the HTTP functions and one timer function per enabled
/// detector; timer folders of detectors that are gone or disabled are removed.
pub fn generate(out: &Path, detectors: &[Detector]) -> Result<Generated, LayoutError> {
    let enabled: Vec<&Detector> = detectors.iter().filter(|d| d.enabled).collect();
    for (i, a) in enabled.iter().enumerate() {
        if let Some(b) = enabled[..i]
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(&a.name))
        {
            return Err(LayoutError::NamesDifferOnlyInCase(
                b.name.clone(),
                a.name.clone(),
            ));
        }
    }
    fs::create_dir_all(out).map_err(io("creating", out))?;
    write_json(&out.join("host.json"), &host_json())?;
    for (name, def) in http_functions() {
        let dir = out.join(name);
        fs::create_dir_all(&dir).map_err(io("creating", &dir))?;
        write_json(&dir.join("function.json"), &def)?;
    }
    let mut result = Generated::default();
    let wanted: Vec<String> = detectors
        .iter()
        .filter(|d| d.enabled)
        .map(Detector::timer_function_name)
        .collect();
    for d in detectors.iter().filter(|d| d.enabled) {
        let dir = out.join(d.timer_function_name());
        fs::create_dir_all(&dir).map_err(io("creating", &dir))?;
        write_json(&dir.join("function.json"), &timer_function(d))?;
        result.timers.push(d.timer_function_name());
    }
    for entry in fs::read_dir(out).map_err(io("listing", out))? {
        let entry = entry.map_err(io("listing", out))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(TIMER_FUNCTION_PREFIX)
            && !wanted.contains(&name)
            && entry.path().join("function.json").exists()
        {
            fs::remove_dir_all(entry.path()).map_err(io("removing", &entry.path()))?;
            result.removed.push(name);
        }
    }
    result.timers.sort();
    result.removed.sort();
    Ok(result)
}

/// Zips an app folder and the handler binary into a deployable package (zip deploy / Flex
/// Consumption blob). `host.json` and every `*/function.json` (or `functions/*/function.json`)
/// are taken from `app_dir`; the binary is stored as `driftscan` with mode 0755. Returns the
/// entry names.
pub fn package(app_dir: &Path, binary: &Path, out: &Path) -> Result<Vec<String>, LayoutError> {
    if !app_dir.join("host.json").is_file() {
        return Err(LayoutError::NoHostJson(app_dir.to_path_buf()));
    }
    if !binary.is_file() {
        return Err(LayoutError::NoBinary(binary.to_path_buf()));
    }
    let mut entries: Vec<(String, PathBuf, u32)> =
        vec![("host.json".into(), app_dir.join("host.json"), 0o644)];
    // Function folders at the app root (as `generate` writes them) and, for the repository's
    // layout, below `functions/`; both land at the root of the package, where the host looks.
    let mut dirs = Vec::new();
    for parent in [app_dir.to_path_buf(), app_dir.join("functions")] {
        if !parent.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&parent).map_err(io("listing", &parent))? {
            let p = entry.map_err(io("listing", &parent))?.path();
            if p.join("function.json").is_file() {
                dirs.push(p);
            }
        }
    }
    dirs.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
    for d in dirs {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        entries.push((
            format!("{name}/function.json"),
            d.join("function.json"),
            0o644,
        ));
    }
    entries.push((HANDLER_EXECUTABLE.into(), binary.to_path_buf(), 0o755));

    let file = fs::File::create(out).map_err(io("creating", out))?;
    let mut zip = zip::ZipWriter::new(file);
    let zerr = |source| LayoutError::Zip {
        path: out.to_path_buf(),
        source,
    };
    let mut buf = Vec::new();
    for (name, path, mode) in &entries {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode)
            .large_file(true);
        zip.start_file(name.as_str(), opts).map_err(zerr)?;
        buf.clear();
        fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut buf))
            .map_err(io("reading", path))?;
        zip.write_all(&buf).map_err(io("writing", out))?;
    }
    zip.finish().map_err(zerr)?;
    Ok(entries.into_iter().map(|(n, _, _)| n).collect())
}
