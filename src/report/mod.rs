//! Stored run results in, one self-contained HTML page with inline SVG charts out.
