//! Where detectors, cached baseline profiles and run results live: a local folder or Azure Blob Storage.
