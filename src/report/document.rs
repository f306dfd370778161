//! A report as a list of blocks, written as Markdown (for a pull request)
//! or as one self-contained HTML page (for a ticket or a CI artifact).
//! Text in blocks may hold `code` spans in backticks.

/// A piece of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A heading of level 1 to 3.
    Heading(u8, String),
    Paragraph(String),
    /// Items of a bulleted list.
    List(Vec<String>),
    /// A table; `numeric` columns are right-aligned.
    Table {
        header: Vec<String>,
        numeric: Vec<bool>,
        rows: Vec<Vec<String>>,
    },
    /// Preformatted lines (a path, a stack).
    Code(String),
}

/// The blocks as GitHub-flavoured Markdown.
pub fn markdown(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Heading(level, text) => {
                out.push_str(&"#".repeat(*level as usize));
                out.push(' ');
                out.push_str(text);
                out.push_str("\n\n");
            }
            Block::Paragraph(text) => {
                out.push_str(text);
                out.push_str("\n\n");
            }
            Block::List(items) => {
                for i in items {
                    out.push_str(&format!("- {i}\n"));
                }
                out.push('\n');
            }
            Block::Table {
                header,
                numeric,
                rows,
            } => {
                let cell = |s: &str| s.replace('|', "\\|");
                out.push_str(&format!(
                    "| {} |\n",
                    header
                        .iter()
                        .map(|h| cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
                out.push_str(&format!(
                    "|{}|\n",
                    (0..header.len())
                        .map(|k| if numeric.get(k) == Some(&true) {
                            "---:"
                        } else {
                            "---"
                        })
                        .collect::<Vec<_>>()
                        .join("|")
                ));
                for row in rows {
                    out.push_str(&format!(
                        "| {} |\n",
                        row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
                    ));
                }
                out.push('\n');
            }
            Block::Code(text) => {
                out.push_str("```\n");
                out.push_str(text.trim_end());
                out.push_str("\n```\n\n");
            }
        }
    }
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with its `code` spans as `<code>` elements.
fn inline(text: &str) -> String {
    let mut out = String::new();
    for (k, part) in text.split('`').enumerate() {
        if k % 2 == 1 {
            out.push_str(&format!("<code>{}</code>", escape(part)));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1d2330}\
h1{font-size:1.6em}h2{font-size:1.3em;margin-top:1.8em;border-bottom:1px solid #d5d9e0}h3{font-size:1.05em}\
code,pre{font-family:ui-monospace,monospace;font-size:.92em}code{background:#eef1f5;padding:0 .25em;border-radius:3px}\
pre{background:#f4f6f9;padding:.6em .8em;overflow-x:auto;border-radius:4px}\
table{border-collapse:collapse;margin:.6em 0}th,td{padding:.2em .7em;border-bottom:1px solid #e3e6eb;text-align:left}\
th{background:#f4f6f9}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}";

/// The blocks as one HTML page with its style inline (no script, nothing
/// fetched).
pub fn html(title: &str, blocks: &[Block]) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        escape(title)
    );
    for b in blocks {
        match b {
            Block::Heading(level, text) => {
                let l = (*level).clamp(1, 3);
                out.push_str(&format!("<h{l}>{}</h{l}>\n", inline(text)));
            }
            Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>\n", inline(text))),
            Block::List(items) => {
                out.push_str("<ul>\n");
                for i in items {
                    out.push_str(&format!("<li>{}</li>\n", inline(i)));
                }
                out.push_str("</ul>\n");
            }
            Block::Table {
                header,
                numeric,
                rows,
            } => {
                let class = |k: usize| {
                    if numeric.get(k) == Some(&true) {
                        " class=\"n\""
                    } else {
                        ""
                    }
                };
                out.push_str("<table><thead><tr>");
                for (k, h) in header.iter().enumerate() {
                    out.push_str(&format!("<th{}>{}</th>", class(k), inline(h)));
                }
                out.push_str("</tr></thead><tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for (k, c) in row.iter().enumerate() {
                        out.push_str(&format!("<td{}>{}</td>", class(k), inline(c)));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody></table>\n");
            }
            Block::Code(text) => out.push_str(&format!("<pre>{}</pre>\n", escape(text))),
        }
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_marks_code() {
        let page = html(
            "a<b",
            &[
                Block::Paragraph("held by `Map<K,V>` & more".into()),
                Block::Table {
                    header: vec!["n".into(), "class".into()],
                    numeric: vec![true, false],
                    rows: vec![vec!["1".into(), "`int[]`".into()]],
                },
            ],
        );
        assert!(page.contains("<title>a&lt;b</title>"));
        assert!(page.contains("held by <code>Map&lt;K,V&gt;</code> &amp; more"));
        assert!(page.contains("<td class=\"n\">1</td><td><code>int[]</code></td>"));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn markdown_tables_align_numbers_and_escape_pipes() {
        let md = markdown(&[Block::Table {
            header: vec!["n".into(), "name".into()],
            numeric: vec![true, false],
            rows: vec![vec!["2".into(), "a|b".into()]],
        }]);
        assert_eq!(md, "| n | name |\n|---:|---|\n| 2 | a\\|b |\n\n");
    }
}
