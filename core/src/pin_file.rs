//! The tiny grammars of the files that pin a Go version: `.go-version`,
//! `.tool-versions`, and the `go` / `toolchain` lines of go.work and go.mod. Text in,
//! versions out; reading the files is the caller's (through the process context).

use std::io;
use std::path::Path;

use crate::process::{OsProcess, Process};
use crate::version::GoVersion;

pub const GO_VERSION_FILE: &str = ".go-version";
pub const TOOL_VERSIONS_FILE: &str = ".tool-versions";
pub const GO_WORK_FILE: &str = "go.work";
pub const GO_MOD_FILE: &str = "go.mod";

/// Reads a small text file of this process, tolerating a BOM and invalid UTF-8
/// ([`Process::read_small`] on the real filesystem).
pub fn read_small(path: &Path) -> io::Result<String> {
    OsProcess.read_small(path)
}

/// Lines without comments (`#` to the end) and surrounding blanks (CRLF included),
/// skipping empty ones.
fn meaningful_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
}

/// The version in a `.go-version` file: the first token of the first meaningful line,
/// with a `go` prefix removed (`go1.22.6`, and `go 1.22.6` as copied from go.mod).
pub fn parse_go_version(text: &str) -> Option<String> {
    let line = meaningful_lines(text).next()?;
    let mut tokens = line.split_whitespace();
    let first = tokens.next()?;
    let v = match (first, tokens.next()) {
        ("go", Some(second)) => second,
        _ => first,
    };
    Some(strip_go(v).to_string())
}

/// The Go version in a `.tool-versions` file: the first version on a `golang` or `go`
/// line (asdf allows several, the first is preferred).
pub fn parse_tool_versions(text: &str) -> Option<String> {
    meaningful_lines(text).find_map(|line| {
        let mut tokens = line.split_whitespace();
        match tokens.next()? {
            "golang" | "go" => tokens.next().map(|v| strip_go(v).to_string()),
            _ => None,
        }
    })
}

fn strip_go(v: &str) -> &str {
    // `go1.22` → `1.22`, but `go` alone stays (it is not a version, the caller says so).
    match v.strip_prefix("go") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => v,
    }
}

/// The `go` and `toolchain` lines of a go.mod or go.work file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoDirectives {
    pub go: Option<GoVersion>,
    /// `None` when absent or `toolchain default`.
    pub toolchain: Option<GoVersion>,
}

/// Reads the `go` and `toolchain` directives the way the go command does for toolchain
/// selection: top-level lines only, `//` comments ignored, a toolchain name's `-suffix`
/// ignored (`go1.21.0-bigcorp` orders as `go1.21.0`). Unparsable values count as absent.
pub fn parse_go_directives(text: &str) -> GoDirectives {
    let mut out = GoDirectives::default();
    let mut in_block = false;
    for raw in text.lines() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if in_block {
            in_block = line != ")";
            continue;
        }
        let mut tokens = line.split_whitespace();
        let (Some(verb), Some(arg)) = (tokens.next(), tokens.next()) else {
            continue;
        };
        if arg == "(" {
            in_block = true;
            continue;
        }
        match verb {
            "go" => out.go = arg.parse().ok(),
            "toolchain" => out.toolchain = toolchain_version(arg),
            _ => {}
        }
    }
    out
}

/// `go1.22.3` → 1.22.3; `default` and anything that is not `go1…` → None.
fn toolchain_version(name: &str) -> Option<GoVersion> {
    let name = name.strip_prefix("go")?;
    let cut = name.find(['-', ' ', '\t']).unwrap_or(name.len());
    name[..cut].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_version_file_tolerates_what_editors_write() {
        assert_eq!(parse_go_version("1.22.6\n").as_deref(), Some("1.22.6"));
        assert_eq!(parse_go_version("go1.22.6").as_deref(), Some("1.22.6"));
        assert_eq!(parse_go_version("go 1.22.6\n").as_deref(), Some("1.22.6"));
        assert_eq!(
            parse_go_version("\r\n# pinned for CI\r\n\r\n  1.21.13  \r\n1.99\r\n").as_deref(),
            Some("1.21.13")
        );
        assert_eq!(
            parse_go_version("1.22 # newest patch").as_deref(),
            Some("1.22")
        );
        assert_eq!(parse_go_version("system\n").as_deref(), Some("system"));
        assert_eq!(parse_go_version("# nothing\n\n"), None);
        assert_eq!(parse_go_version(""), None);
    }

    #[test]
    fn bom_is_stripped_when_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(GO_VERSION_FILE);
        std::fs::write(&p, "\u{feff}go1.21.13\r\n").unwrap();
        assert_eq!(
            parse_go_version(&read_small(&p).unwrap()).as_deref(),
            Some("1.21.13")
        );
    }

    #[test]
    fn tool_versions_golang_or_go_line() {
        assert_eq!(
            parse_tool_versions("nodejs 20.1.0\ngolang 1.22.6 1.21.0\n").as_deref(),
            Some("1.22.6")
        );
        assert_eq!(
            parse_tool_versions("# tools\r\ngo go1.21.13\r\n").as_deref(),
            Some("1.21.13")
        );
        assert_eq!(parse_tool_versions("nodejs 20.1.0\npython 3.12\n"), None);
        assert_eq!(parse_tool_versions("golang\n"), None);
    }

    #[test]
    fn go_mod_directives() {
        let d = parse_go_directives(
            "module example.com/m // the module\n\ngo 1.22\n\ntoolchain go1.22.3\n\nrequire (\n\tgo 1.99\n\texample.com/x v1.0.0\n)\n",
        );
        assert_eq!(d.go, Some("1.22".parse().unwrap()));
        assert_eq!(d.toolchain, Some("1.22.3".parse().unwrap()));
        let d = parse_go_directives("go 1.21.0\ntoolchain default\n");
        assert_eq!(d.toolchain, None);
        let d = parse_go_directives("go 1.23rc1\ntoolchain go1.23.0-bigcorp\n");
        assert_eq!(d.go, Some("1.23rc1".parse().unwrap()));
        assert_eq!(d.toolchain, Some("1.23.0".parse().unwrap()));
        assert_eq!(parse_go_directives("module m\n"), GoDirectives::default());
        // go.work syntax: `use` blocks and lines.
        let d = parse_go_directives("go 1.22.1\r\n\r\nuse (\r\n\t./a\r\n\t./b\r\n)\r\nuse ./c\r\n");
        assert_eq!(d.go, Some("1.22.1".parse().unwrap()));
    }
}
