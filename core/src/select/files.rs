//! The files selection and the workspace read, found in one walk up from the current
//! directory, and their tiny grammars: `.go-version`, `.tool-versions`, and the `go` /
//! `toolchain` lines of go.work and go.mod.
//!
//! The shim runs this on every call, so it only stats a few names per directory and
//! reads the few small files that matter.

use std::io;
use std::path::{Path, PathBuf};

use crate::version::GoVersion;

pub const GO_VERSION_FILE: &str = ".go-version";
pub const TOOL_VERSIONS_FILE: &str = ".tool-versions";
pub const GO_WORK_FILE: &str = "go.work";
pub const GO_MOD_FILE: &str = "go.mod";

/// Which kind of file pinned a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinKind {
    GoVersion,
    ToolVersions,
}

/// The nearest file that pins a Go version, with the version text it holds (not yet
/// resolved: it may be a prefix, `latest` or `system`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinFile {
    pub kind: PinKind,
    pub path: PathBuf,
    /// The version as written (`go` prefix removed), `None` if the file names none.
    pub text: Option<String>,
}

/// A file the walk found but could not read (named, so the error points at it rather
/// than at the directory the walk started from).
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}", path.display())]
pub struct UnreadableFile {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

fn read_pin(path: &Path) -> Result<String, UnreadableFile> {
    read_small(path).map_err(|source| UnreadableFile {
        path: path.to_path_buf(),
        source,
    })
}

/// What one walk up from a directory found: the nearest pin file and the nearest
/// go.work and go.mod (regardless of GOWORK; callers apply it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectFiles {
    pub pin: Option<PinFile>,
    pub go_work: Option<PathBuf>,
    pub go_mod: Option<PathBuf>,
}

impl ProjectFiles {
    /// Walks from `dir` up to the filesystem root. A `.tool-versions` without a Go line
    /// does not stop the search for a pin (asdf's rule); an empty `.go-version` does,
    /// so that it is reported instead of silently skipped.
    pub fn scan(dir: &Path) -> Result<ProjectFiles, UnreadableFile> {
        let mut found = ProjectFiles::default();
        for d in dir.ancestors() {
            if found.pin.is_none() {
                found.pin = pin_in(d)?;
            }
            if found.go_work.is_none() {
                found.go_work = regular_file(d.join(GO_WORK_FILE));
            }
            if found.go_mod.is_none() {
                found.go_mod = regular_file(d.join(GO_MOD_FILE));
            }
            if found.pin.is_some() && found.go_work.is_some() && found.go_mod.is_some() {
                break;
            }
        }
        Ok(found)
    }
}

/// The pin file in exactly `dir`, if any: `.go-version` wins over `.tool-versions`.
pub fn pin_in(dir: &Path) -> Result<Option<PinFile>, UnreadableFile> {
    if let Some(path) = regular_file(dir.join(GO_VERSION_FILE)) {
        let text = read_pin(&path)?;
        return Ok(Some(PinFile {
            kind: PinKind::GoVersion,
            text: parse_go_version(&text),
            path,
        }));
    }
    if let Some(path) = regular_file(dir.join(TOOL_VERSIONS_FILE)) {
        let text = read_pin(&path)?;
        if let Some(v) = parse_tool_versions(&text) {
            return Ok(Some(PinFile {
                kind: PinKind::ToolVersions,
                text: Some(v),
                path,
            }));
        }
    }
    Ok(None)
}

fn regular_file(p: PathBuf) -> Option<PathBuf> {
    // metadata follows symlinks: a symlinked .go-version counts, a directory does not.
    std::fs::metadata(&p)
        .ok()
        .filter(|m| m.is_file())
        .map(|_| p)
}

/// Reads a small text file, tolerating a BOM and invalid UTF-8 (replaced).
pub fn read_small(path: &Path) -> io::Result<String> {
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).to_string())
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

    #[test]
    fn scan_finds_nearest_of_each_and_go_version_wins_in_one_dir() {
        let t = tempfile::tempdir().unwrap();
        let top = t.path();
        let sub = top.join("a/b/c");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(top.join("go.work"), "go 1.22\n").unwrap();
        std::fs::write(top.join("a/go.mod"), "module a\n").unwrap();
        std::fs::write(top.join("a/.tool-versions"), "golang 1.21.13\n").unwrap();
        std::fs::write(top.join("a/.go-version"), "1.22.10\n").unwrap();
        std::fs::write(top.join("a/b/.tool-versions"), "nodejs 20\n").unwrap();
        let f = ProjectFiles::scan(&sub).unwrap();
        let pin = f.pin.unwrap();
        assert_eq!(pin.kind, PinKind::GoVersion);
        assert_eq!(pin.path, top.join("a/.go-version"));
        assert_eq!(pin.text.as_deref(), Some("1.22.10"));
        assert_eq!(f.go_work, Some(top.join("go.work")));
        assert_eq!(f.go_mod, Some(top.join("a/go.mod")));

        std::fs::remove_file(top.join("a/.go-version")).unwrap();
        let pin = ProjectFiles::scan(&sub).unwrap().pin.unwrap();
        assert_eq!(pin.kind, PinKind::ToolVersions);
        assert_eq!(pin.text.as_deref(), Some("1.21.13"));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn an_unreadable_pin_is_named_in_the_error() {
        let t = tempfile::tempdir().unwrap();
        let sub = t.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        // Root reads any file, so use one whose read fails for everyone: /proc/self/mem
        // is a regular file that gives EIO at offset 0.
        let pin = t.path().join("a").join(TOOL_VERSIONS_FILE);
        std::os::unix::fs::symlink("/proc/self/mem", &pin).unwrap();
        let err = ProjectFiles::scan(&sub).unwrap_err();
        assert_eq!(err.path, pin);
    }

    #[test]
    fn a_directory_named_like_a_pin_is_not_a_pin() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join(".go-version")).unwrap();
        assert_eq!(pin_in(t.path()).unwrap(), None);
    }
}
