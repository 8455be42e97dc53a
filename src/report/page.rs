//! The page shell: doctype, inline style, the one inline script, and a Content-Security-Policy.
//!
//! The page must open offline and in a mail client's preview, so nothing is fetched: the CSS and
//! the table-sorting script are inline, the charts are inline SVG. The policy forbids every
//! external load and allows exactly one script, by hash. That is a second line of defence behind
//! [`super::escape::escape`]: if a value ever slipped through unescaped, a `<script>` or an
//! `onerror=` handler from the data would be refused by the browser (and reported on its console).

use base64::Engine;

use super::escape::escape;

/// Compact stylesheet; the page reads without it, but this makes it a dashboard.
const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f1f1f;background:#f6f6f4}
main{max-width:1180px;margin:0 auto;padding:12px 16px 40px}
h1{font-size:1.35em;margin:.4em 0 .2em;font-weight:650}
h2{font-size:1.15em;margin:1.8em 0 .5em;padding-bottom:.2em;border-bottom:1px solid #d8d8d4}
h3{font-size:1em;margin:1em 0 .3em}
p.note{color:#555;font-size:.9em;margin:.3em 0}
.verdict{border-radius:8px;padding:12px 18px;color:#fff;margin:10px 0 14px}
.verdict .big{font-size:1.55em;font-weight:700;line-height:1.25}
.verdict .more{margin-top:4px;opacity:.95}
.v-drift{background:#C24F00}.v-ok{background:#00795A}.v-none{background:#5f5f5f}.v-failed{background:#7a2e00}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0;background:#fff;border:1px solid #e2e2de;border-radius:6px;padding:10px 14px}
dl.facts dt{color:#555}dl.facts dd{margin:0;overflow-wrap:anywhere}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:#fff;border:1px solid #e2e2de;border-radius:6px;padding:8px 14px;min-width:130px}
.card b{display:block;font-size:1.3em}.card span{color:#555;font-size:.85em}
.chart{background:#fff;border:1px solid #e2e2de;border-radius:6px;padding:6px}
.chart svg{display:block;width:100%;max-width:100%;height:auto}
.tw{overflow-x:auto;background:#fff;border:1px solid #e2e2de;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.86em;font-variant-numeric:tabular-nums}
th,td{padding:4px 6px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;white-space:normal;overflow-wrap:break-word;min-width:11em;max-width:22em}
td.wrap{white-space:normal;min-width:16em}
td.t,th.t{text-align:left}
thead th{background:#f0f0ec;position:sticky;top:0;font-weight:600}
table.sortable th{cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \25B2"}th[aria-sort=descending]::after{content:" \25BC"}
tr.drift td:first-child{border-left:3px solid #D55E00}
.warn{color:#A34000;font-weight:650}
.tag{display:inline-block;font-size:.75em;font-weight:600;padding:0 6px;border-radius:8px;background:#e8e8e4;color:#333;vertical-align:middle}
.tag.drift{background:#D55E00;color:#fff}.tag.failed{background:#7a2e00;color:#fff}.tag.no_data{background:#5f5f5f;color:#fff}
details{background:#fff;border:1px solid #e2e2de;border-radius:6px;margin:6px 0;padding:4px 12px}
summary{cursor:pointer;padding:4px 0}summary .fname{font-weight:650;overflow-wrap:anywhere}
summary .sub{color:#555;font-size:.88em;margin-left:6px}
.fd{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:12px;align-items:start;padding:6px 0 10px}
.fd .chart{border:0;padding:0}
@media (max-width:760px){.fd{grid-template-columns:1fr}.verdict .big{font-size:1.25em}main{padding:8px}}
@media (max-width:480px){th:first-child,td:first-child{min-width:8em}.verdict{padding:10px 12px}.card{flex:1 1 40%;min-width:0}}
ul.plain{margin:.3em 0;padding-left:1.2em}
footer{color:#666;font-size:.85em;margin-top:2.5em}
code{font-size:.92em;overflow-wrap:anywhere}
@media print{body{background:#fff}details{break-inside:avoid}.chart,.tw{overflow:visible}}
"#;

/// Sorts any `table.sortable` by a clicked header: numbers by their `data-v` value (rows without
/// one last), text by locale order; first click sorts numbers largest first. Without JavaScript
/// the tables keep their server-side order, which is already most drifted first.
const SCRIPT: &str = r#"(function(){
function key(c,num){var v=c.getAttribute('data-v');if(num){var f=parseFloat(v===null?c.textContent:v);return isNaN(f)?null:f}return (v===null?c.textContent:v).trim().toLowerCase()}
function sort(t,th,i){var num=th.hasAttribute('data-num');var cur=th.getAttribute('aria-sort');var asc=cur?cur!=='ascending':!num;
var ths=t.tHead.rows[0].cells;for(var k=0;k<ths.length;k++)ths[k].removeAttribute('aria-sort');th.setAttribute('aria-sort',asc?'ascending':'descending');
var b=t.tBodies[0];var rows=Array.prototype.slice.call(b.rows);
rows.sort(function(x,y){var a=key(x.cells[i],num),c=key(y.cells[i],num);if(a===null&&c===null)return 0;if(a===null)return 1;if(c===null)return -1;
var r=num?a-c:a.localeCompare(c);return asc?r:-r});rows.forEach(function(r){b.appendChild(r)})}
var ts=document.querySelectorAll('table.sortable');for(var n=0;n<ts.length;n++){(function(t){var ths=t.tHead.rows[0].cells;
for(var i=0;i<ths.length;i++){(function(th,i){th.tabIndex=0;th.title=th.title||'Sort';th.addEventListener('click',function(){sort(t,th,i)});
th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort(t,th,i)}})})(ths[i],i)}})(ts[n])}
})();"#;

/// The complete page around a body.
pub(crate) fn wrap(title: &str, body: &str, footer: &str) -> String {
    let hash = base64::engine::general_purpose::STANDARD
        .encode(crate::base::hash::sha256(SCRIPT.as_bytes()));
    let mut out = String::with_capacity(body.len() + STYLE.len() + SCRIPT.len() + 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; script-src 'sha256-{hash}'\">\n"
    ));
    out.push_str("<meta name=\"generator\" content=\"driftscan ");
    out.push_str(env!("CARGO_PKG_VERSION"));
    out.push_str("\">\n<title>");
    out.push_str(&escape(title));
    out.push_str("</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<main>\n");
    out.push_str(body);
    out.push_str("<footer>");
    out.push_str(footer);
    out.push_str("</footer>\n</main>\n<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_hash_matches_the_inline_script() {
        let page = wrap("t", "<p>x</p>", "");
        let start = page.find("<script>").unwrap() + "<script>".len();
        let end = page.find("</script>").unwrap();
        let script = &page[start..end];
        let hash = base64::engine::general_purpose::STANDARD
            .encode(crate::base::hash::sha256(script.as_bytes()));
        assert!(page.contains(&format!("'sha256-{hash}'")));
        assert_eq!(page.matches("<script").count(), 1);
    }

    #[test]
    fn page_loads_nothing_from_outside() {
        let page = wrap("<t>", "", "");
        for needle in ["src=", "href=\"http", "@import", "url(", "<link"] {
            assert!(!page.contains(needle), "found {needle}");
        }
        assert!(page.contains("<title>&lt;t&gt;</title>"));
    }
}
