//! Where a detector may read data: inside the store, and inside the data roots an operator lists
//! in the server's settings. Nothing else is reachable, whatever a detector definition says.
//!
//! A detector's baseline and snapshot locations are store keys (`training/churn.csv`), another
//! container (`az://modeldata/...`) or an absolute folder (`/srv/modeldata/...`). Keys are always
//! inside the store. A container or a folder is read only when it is one of the **data roots**
//! (`DRIFTSCAN_DATA_ROOTS`, comma-separated: `az://modeldata,/srv/modeldata`), or below one. A
//! location outside them is refused before any storage is touched, with the same message whether
//! or not something exists there, so the answer reveals nothing.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::{LocalStore, Store, StoreError};
use crate::base::text::split_az;
use crate::detector::{DataRoot, SnapshotTemplate, split_location};

/// The environment variable listing the data roots.
pub const DATA_ROOTS_VAR: &str = "DRIFTSCAN_DATA_ROOTS";

/// The containers and folders detectors may read besides the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataRoots {
    containers: Vec<String>,
    folders: Vec<PathBuf>,
}

impl DataRoots {
    /// Nothing but the store.
    pub fn store_only() -> Self {
        Self::default()
    }

    /// Parses a comma-separated list of `az://container` and absolute folders.
    pub fn parse(list: &str) -> Result<Self, StoreError> {
        let mut roots = DataRoots::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let bad = |reason: &str| StoreError::Config {
                location: format!("{DATA_ROOTS_VAR}: `{item}`"),
                reason: reason.to_string(),
            };
            if let Some((container, path)) = split_az(item.trim_end_matches('/')) {
                if container.is_empty() || !path.is_empty() {
                    return Err(bad("a container root is `az://container`, without a path"));
                }
                roots.containers.push(container.to_string());
            } else {
                let path = Path::new(item);
                let clean = path.is_absolute()
                    && path
                        .components()
                        .all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
                if !clean || path.parent().is_none() {
                    return Err(bad(
                        "a folder root is an absolute path without `.` or `..`, and not `/`",
                    ));
                }
                roots.folders.push(path.to_path_buf());
            }
        }
        Ok(roots)
    }

    /// The roots of the process environment (`DRIFTSCAN_DATA_ROOTS`); none when unset.
    pub fn from_env() -> Result<Self, StoreError> {
        match std::env::var(DATA_ROOTS_VAR) {
            Ok(list) => Self::parse(&list),
            Err(_) => Ok(Self::default()),
        }
    }

    /// Checks a detector location without touching storage; the error is the same whether or
    /// not anything exists there.
    pub fn check(&self, location: &str) -> Result<(), StoreError> {
        let (root, key) = split_location(location);
        match root {
            DataRoot::Store => Ok(()),
            DataRoot::Container(c) if self.containers.contains(&c) => Ok(()),
            DataRoot::Folder if self.folder_of(&key).is_some() => Ok(()),
            _ => Err(self.outside(location)),
        }
    }

    /// The store that holds a location and the location's key in it: the store itself for a
    /// key, a sibling container or a read-only folder store for a data root.
    pub fn open(
        &self,
        store: &Arc<dyn Store>,
        location: &str,
    ) -> Result<(Arc<dyn Store>, String), StoreError> {
        let (root, key) = split_location(location);
        match root {
            DataRoot::Store => Ok((Arc::clone(store), key)),
            DataRoot::Container(c) if self.containers.contains(&c) => {
                Ok((store.sibling_container(&c)?, key))
            }
            DataRoot::Folder => match self.folder_of(&key) {
                Some((folder, rest)) => Ok((Arc::new(LocalStore::existing(folder)?), rest)),
                None => Err(self.outside(location)),
            },
            DataRoot::Container(_) => Err(self.outside(location)),
        }
    }

    /// The store holding a snapshot template's files, and the template relative to that store
    /// (for a folder root, the leading literal parts must name the data root).
    pub fn open_template(
        &self,
        store: &Arc<dyn Store>,
        template: &SnapshotTemplate,
    ) -> Result<(Arc<dyn Store>, SnapshotTemplate), StoreError> {
        let below = |parts: &[String]| SnapshotTemplate {
            template: template.template.clone(),
            root: DataRoot::Store,
            parts: parts.to_vec(),
        };
        match &template.root {
            DataRoot::Store => Ok((Arc::clone(store), template.clone())),
            DataRoot::Container(c) if self.containers.contains(c) => {
                Ok((store.sibling_container(c)?, below(&template.parts)))
            }
            DataRoot::Folder => {
                let literal: Vec<&str> = template
                    .parts
                    .iter()
                    .take_while(|p| !p.contains('{') && !p.contains('*'))
                    .map(String::as_str)
                    .collect();
                match self.folder_of(&literal.join("/")) {
                    Some((folder, rest)) => {
                        let skip =
                            literal.len() - rest.split('/').filter(|s| !s.is_empty()).count();
                        Ok((
                            Arc::new(LocalStore::existing(folder)?),
                            below(&template.parts[skip..]),
                        ))
                    }
                    None => Err(self.outside(&template.template)),
                }
            }
            DataRoot::Container(_) => Err(self.outside(&template.template)),
        }
    }

    /// The folder root holding `/key`, and the rest of the key below it.
    fn folder_of(&self, key: &str) -> Option<(PathBuf, String)> {
        let segments: Vec<&str> = key.split('/').filter(|s| !s.is_empty()).collect();
        self.folders.iter().find_map(|folder| {
            let root: Vec<&str> = folder
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => s.to_str(),
                    _ => None,
                })
                .collect();
            (segments.len() >= root.len() && segments[..root.len()] == root[..])
                .then(|| (folder.clone(), segments[root.len()..].join("/")))
        })
    }

    fn outside(&self, location: &str) -> StoreError {
        StoreError::OutsideRoots {
            location: location.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_outside_the_roots_are_refused_alike() {
        let roots = DataRoots::parse("az://modeldata, /srv/data").unwrap();
        for ok in [
            "training/churn.csv",
            "az://modeldata/x.csv",
            "/srv/data/train.csv",
            "/srv/data/",
        ] {
            assert!(roots.check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "/etc/passwd",
            "/proc/self/environ",
            "/dev/zero",
            "/srv/database/x.csv",
            "/srv",
            "az://other/x.csv",
            "az://modeldata2/x.csv",
        ] {
            let e = roots.check(bad).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "location `{bad}` is not in the store nor in a data root this server allows ({DATA_ROOTS_VAR})"
                )
            );
        }
        assert!(DataRoots::store_only().check("/srv/data/x").is_err());
    }

    #[test]
    fn bad_root_lists_are_rejected() {
        for bad in [
            "relative/folder",
            "/",
            "/srv/../etc",
            "az://",
            "az://c/path",
        ] {
            assert!(DataRoots::parse(bad).is_err(), "{bad}");
        }
    }
}
