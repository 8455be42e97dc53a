//! Plain-text tables for the terminal: left-aligned text, right-aligned numbers.

use crate::base::text::for_terminal;
use crate::drift::metrics::{Direction, MetricDef, Unit};
use crate::drift::verdict::format_p_value;

/// A table with a header row; cells are strings already formatted.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header
                .iter()
                .map(|s| for_terminal(s).into_owned())
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (missing cells print empty). Cells are escaped for the terminal before
    /// they are measured, so the columns stay aligned whatever a name holds.
    pub fn push(&mut self, row: Vec<String>) {
        self.rows
            .push(row.iter().map(|c| for_terminal(c).into_owned()).collect());
    }

    /// Renders with two spaces between columns; the first column is left-aligned, others right.
    pub fn render(&self) -> String {
        let cols = self.header.len();
        let mut width = vec![0usize; cols];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (i, cell) in row.iter().enumerate().take(cols) {
                width[i] = width[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, row: &[String]| {
            for (i, w) in width.iter().enumerate() {
                let cell = row.get(i).map(String::as_str).unwrap_or("");
                let pad = w - cell.chars().count();
                if i > 0 {
                    out.push_str("  ");
                }
                if i == 0 {
                    out.push_str(cell);
                    if i + 1 < cols {
                        out.push_str(&" ".repeat(pad));
                    }
                } else {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                }
            }
            out.push('\n');
        };
        line(&mut out, &self.header);
        let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
        line(&mut out, &rule);
        for row in &self.rows {
            line(&mut out, row);
        }
        out
    }
}

/// A metric value for a table cell: 4 significant decimals, `-` when undefined.
pub fn num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => {
            if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
                format!("{v:.3e}")
            } else {
                format!("{v:.4}")
            }
        }
        _ => "-".to_string(),
    }
}

/// A share as a percentage with one decimal.
pub fn pct(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{:.1}%", v * 100.0),
        _ => "-".to_string(),
    }
}

/// A metric's cell, formatted as its registry entry says: shares as percentages, flags as
/// yes / no, p-values as the verdict writes them, other values by [`num`]; `-` when absent.
pub fn metric_cell(metric: &MetricDef, value: Option<f64>) -> String {
    match (metric.unit, metric.direction, value) {
        (_, _, None) => "-".to_string(),
        (Unit::Share, ..) => pct(value),
        (Unit::Flag, _, Some(v)) => if v == 1.0 { "yes" } else { "no" }.to_string(),
        (_, Direction::Lower, Some(p)) => format_p_value(p),
        _ => num(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let mut t = Table::new(&["feature", "value"]);
        t.push(vec!["a".into(), "1.0000".into()]);
        t.push(vec!["longer".into(), "12.5000".into()]);
        let out = t.render();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "feature    value");
        assert_eq!(lines[2], "a         1.0000");
        assert_eq!(lines[3], "longer   12.5000");
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(num(Some(0.12345)), "0.1235");
        assert_eq!(num(Some(f64::NAN)), "-");
        assert_eq!(num(None), "-");
        assert_eq!(num(Some(123456.0)), "1.235e5");
        assert_eq!(pct(Some(0.153)), "15.3%");
    }
}
