//! Reading what `gopls version` prints.
//!
//! v0.15.0 and later print one line, `golang.org/x/tools/gopls v0.16.2`; v0.14.x and
//! earlier print `golang.org/x/tools/gopls v0.14.2` followed by
//! `    golang.org/x/tools/gopls@v0.14.2 h1:…` (the main module with its sum). A binary
//! built outside module mode prints `gopls, built in GOPATH mode` or `(unknown)`.

use super::{GoplsVersion, MODULE};

/// The version a `gopls version` output names, if any: the `<module> <version>` line,
/// else the `<module>@<version>` module line of the old two-line format.
pub fn parse_version_output(output: &str) -> Option<GoplsVersion> {
    let mut from_module_line = None;
    for line in output.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix(MODULE) {
            if let Some(v) = rest
                .strip_prefix(' ')
                .and_then(|r| r.split_whitespace().next())
            {
                if let Ok(v) = v.parse() {
                    return Some(v);
                }
            }
            if let Some(v) = rest
                .strip_prefix('@')
                .and_then(|r| r.split_whitespace().next())
            {
                from_module_line = from_module_line.or_else(|| v.parse().ok());
            }
        }
    }
    from_module_line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> Option<String> {
        parse_version_output(s).map(|v| v.to_string())
    }

    #[test]
    fn one_line_format_since_v0_15() {
        assert_eq!(
            parsed("golang.org/x/tools/gopls v0.16.2\n").as_deref(),
            Some("v0.16.2")
        );
        assert_eq!(
            parsed("golang.org/x/tools/gopls v0.21.0-pre.2\r\n").as_deref(),
            Some("v0.21.0-pre.2")
        );
    }

    #[test]
    fn two_line_format_before_v0_15() {
        let out = "golang.org/x/tools/gopls v0.14.2\n    golang.org/x/tools/gopls@v0.14.2 h1:sIw6vjZiuQ9S7s0auUUkHlWgsCkKZFWDHmrge8LYsnc=\n";
        assert_eq!(parsed(out).as_deref(), Some("v0.14.2"));
        // Only the module line (a header that is not the path+version line).
        assert_eq!(
            parsed("Build info\n----------\n    golang.org/x/tools/gopls@v0.13.2 h1:x=\n")
                .as_deref(),
            Some("v0.13.2")
        );
    }

    #[test]
    fn verbose_format_and_dependencies() {
        let out = "Build info\n----------\ngolang.org/x/tools/gopls v0.20.0\n    golang.org/x/tools/gopls@v0.20.0 h1:x=\n    golang.org/x/mod@v0.26.0 h1:y=\ngo: go1.26.8\n";
        assert_eq!(parsed(out).as_deref(), Some("v0.20.0"));
    }

    #[test]
    fn no_version() {
        assert_eq!(parsed("gopls, built in GOPATH mode\n"), None);
        assert_eq!(parsed("golang.org/x/tools/gopls (unknown)\n"), None);
        assert_eq!(parsed("golang.org/x/tools/goplsx v0.1.0\n"), None);
        assert_eq!(parsed(""), None);
    }
}
