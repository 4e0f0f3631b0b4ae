//! The `use` directives of a go.work file (x/mod's grammar: `use dir` or a
//! parenthesised block; paths bare or quoted; `//` comments), with their line numbers.

/// One `use` path as written, and the 1-based line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub path: String,
    pub line: usize,
}

/// The `use` paths of a go.work file, in order.
pub fn parse_uses(text: &str) -> Vec<Use> {
    let mut out = Vec::new();
    let mut block: Option<&str> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(verb) = block {
            if line == ")" {
                block = None;
            } else if verb == "use" {
                if let Some(path) = unquote(line) {
                    out.push(Use { path, line: i + 1 });
                }
            }
            continue;
        }
        let (verb, rest) = match line.split_once(char::is_whitespace) {
            Some((v, r)) => (v, r.trim()),
            None => (line, ""),
        };
        if rest == "(" || (verb.ends_with('(') && rest.is_empty()) {
            block = Some(verb.trim_end_matches('('));
            continue;
        }
        if verb == "use" {
            if let Some(path) = unquote(rest) {
                out.push(Use { path, line: i + 1 });
            }
        }
    }
    out
}

/// The line without a `//` comment outside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'`') => quote = Some(b),
            (Some(q), c) if c == q => quote = None,
            (None, b'/') if bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// A bare or quoted path token; `None` for an empty or malformed one.
fn unquote(tok: &str) -> Option<String> {
    let tok = tok.trim();
    if let Some(inner) = tok
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| tok.strip_prefix('`').and_then(|t| t.strip_suffix('`')))
    {
        return Some(inner.replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    let first = tok.split_whitespace().next()?;
    Some(first.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_lines_and_blocks() {
        let text = "go 1.22\n\nuse ./a // first\nuse (\n\t./b\n\t\"./c d\" // quoted\n\n\t`./e`\n)\nreplace x => ./y\nuse(\n./f\n)\n";
        let uses = parse_uses(text);
        let got: Vec<(&str, usize)> = uses.iter().map(|u| (u.path.as_str(), u.line)).collect();
        assert_eq!(
            got,
            [
                ("./a", 3),
                ("./b", 5),
                ("./c d", 6),
                ("./e", 8),
                ("./f", 12)
            ]
        );
        assert!(parse_uses("go 1.22\nreplace (\n\tx => ./y\n)\n").is_empty());
    }
}
