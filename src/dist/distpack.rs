//! How Go's release tool (cmd/distpack) derives the toolchain module
//! `golang.org/toolchain@v0.0.1-go<version>.<goos>-<goarch>` from the same file list as
//! the go.dev archive: the archive has a `go/` prefix; the module drops `api/`, `doc/`,
//! `misc/` and `test/`, carries the module prefix, and names every `go.mod` `_go.mod`
//! (so the module's own tree is not cut into nested modules). Knowing the mapping lets
//! gvr hash a go.dev-layout archive the way the checksum database hashed the module.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::dirhash::{DirHashError, Hash1};
use super::index::Platform;
use crate::version::GoVersion;

/// The module path Go publishes its toolchains under.
pub const TOOLCHAIN_MODULE: &str = "golang.org/toolchain";

/// The first release published as a toolchain module (and so in the checksum database).
pub fn has_module(version: &GoVersion) -> bool {
    *version >= "1.21.0".parse::<GoVersion>().expect("valid version")
}

/// `v0.0.1-go1.22.6.linux-amd64`: the module version of a release for a platform.
pub fn module_version(version: &GoVersion, platform: &Platform) -> String {
    format!("v0.0.1-go{version}.{}-{}", platform.os, platform.arch)
}

/// The release a module version names, for this platform (`None` for another
/// platform's or a malformed one).
pub fn release_of(module_version: &str, platform: &Platform) -> Option<GoVersion> {
    let rest = module_version.strip_prefix("v0.0.1-go")?;
    let v = rest.strip_suffix(&format!(".{}-{}", platform.os, platform.arch))?;
    v.parse().ok()
}

/// The top-level directories the module leaves out.
const NOT_IN_MODULE: [&str; 4] = ["api", "doc", "misc", "test"];

/// The module-relative name of an SDK file (relative to GOROOT, `/`-separated), or
/// `None` when the module does not carry it.
pub fn module_name(sdk_rel: &str) -> Option<String> {
    let top = sdk_rel.split('/').next().unwrap_or("");
    if NOT_IN_MODULE.contains(&top) {
        return None;
    }
    Some(match sdk_rel.rsplit_once('/') {
        Some((dir, "go.mod")) => format!("{dir}/_go.mod"),
        None if sdk_rel == "go.mod" => "_go.mod".to_string(),
        _ => sdk_rel.to_string(),
    })
}

/// The SDK-relative name of a module file: `_go.mod` back to `go.mod`, as the go
/// command does when it runs a downloaded toolchain.
pub fn sdk_name(module_rel: &str) -> String {
    match module_rel.rsplit_once('/') {
        Some((dir, "_go.mod")) => format!("{dir}/go.mod"),
        None if module_rel == "_go.mod" => "go.mod".to_string(),
        _ => module_rel.to_string(),
    }
}

/// The permission bits distpack gives a file: executables under `bin/` and `pkg/tool/`,
/// scripts, and the `go_<goos>_<goarch>_exec` wrappers; everything else 0644.
pub fn mode(sdk_rel: &str) -> u32 {
    let exec = sdk_rel.starts_with("bin/")
        || sdk_rel.starts_with("pkg/tool/")
        || [".bash", ".sh", ".pl", ".rc"]
            .iter()
            .any(|s| sdk_rel.ends_with(s))
        || is_exec_wrapper(sdk_rel.rsplit('/').next().unwrap_or(sdk_rel));
    if exec {
        0o755
    } else {
        0o644
    }
}

/// `go_?*_?*_exec`: `go_`, one or more characters, `_`, one or more, `_exec`.
fn is_exec_wrapper(base: &str) -> bool {
    let Some(mid) = base
        .strip_prefix("go_")
        .and_then(|r| r.strip_suffix("_exec"))
    else {
        return false;
    };
    // Some `_` with at least one character either side.
    mid.char_indices()
        .any(|(i, c)| c == '_' && i > 0 && i + 1 < mid.len())
}

/// Whether the SDK at `root` is the toolchain module's cut: none of `api/`, `doc/`,
/// `misc/`, `test/` (a go.dev archive has them all).
pub fn lacks_full_tree(root: &Path) -> bool {
    NOT_IN_MODULE.iter().all(|d| !root.join(d).exists())
}

#[derive(Debug, thiserror::Error)]
pub enum TreeHashError {
    #[error("reading {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{} is a {what}; a Go release holds only regular files and directories", path.display())]
    NotAFile { path: PathBuf, what: &'static str },
    #[error(transparent)]
    Hash(#[from] DirHashError),
}

/// What hashing an unpacked SDK found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHash {
    /// The `h1:` of the module-covered files, named as in the module zip.
    pub h1: String,
    /// How many files the module covers.
    pub files: usize,
    /// Whether any of `api/`, `doc/`, `misc/`, `test/` is present (a go.dev archive) or
    /// none is (the toolchain module).
    pub has_full_tree: bool,
}

/// Hashes the module-covered files of the SDK unpacked at `root` as the checksum
/// database hashed `golang.org/toolchain@<module_version>`. `skip` names top-level
/// entries that are gvr's own (the receipt directory).
pub fn hash_tree(
    root: &Path,
    module_version: &str,
    skip: &[&str],
) -> Result<TreeHash, TreeHashError> {
    let prefix = format!("{TOOLCHAIN_MODULE}@{module_version}/");
    let mut h = Hash1::new();
    let mut has_full_tree = false;
    let mut stack = vec![(root.to_path_buf(), String::new())];
    let mut buf = vec![0u8; 256 * 1024];
    while let Some((dir, rel)) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(|source| TreeHashError::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| TreeHashError::Io {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() {
                if skip.contains(&name.as_str()) {
                    continue;
                }
                has_full_tree |= NOT_IN_MODULE.contains(&name.as_str());
                name
            } else {
                format!("{rel}/{name}")
            };
            let ft = entry.file_type().map_err(|source| TreeHashError::Io {
                path: path.clone(),
                source,
            })?;
            if ft.is_dir() {
                stack.push((path, child));
                continue;
            }
            let Some(module_rel) = module_name(&child) else {
                continue;
            };
            if !ft.is_file() {
                return Err(TreeHashError::NotAFile {
                    path,
                    what: if ft.is_symlink() {
                        "symbolic link"
                    } else {
                        "special file"
                    },
                });
            }
            let digest = sha256_file(&path, &mut buf)?;
            h.add(format!("{prefix}{module_rel}"), digest);
        }
    }
    let files = h.len();
    Ok(TreeHash {
        h1: h.finish()?,
        files,
        has_full_tree,
    })
}

fn sha256_file(path: &Path, buf: &mut [u8]) -> Result<[u8; 32], TreeHashError> {
    let io = |source| TreeHashError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    loop {
        let n = f.read(buf).map_err(io)?;
        if n == 0 {
            return Ok(h.finalize().into());
        }
        h.update(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_as_distpack_does() {
        assert_eq!(module_name("bin/go").as_deref(), Some("bin/go"));
        assert_eq!(module_name("src/go.mod").as_deref(), Some("src/_go.mod"));
        assert_eq!(
            module_name("src/cmd/go.mod").as_deref(),
            Some("src/cmd/_go.mod")
        );
        assert_eq!(
            module_name("src/cmd/go.modx").as_deref(),
            Some("src/cmd/go.modx")
        );
        assert_eq!(module_name("go.mod").as_deref(), Some("_go.mod"));
        for dropped in [
            "api/go1.txt",
            "doc/go_spec.html",
            "misc/wasm/wasm_exec.js",
            "test/x.go",
        ] {
            assert_eq!(module_name(dropped), None, "{dropped}");
        }
        // Only the top level is dropped.
        assert_eq!(module_name("src/test/x").as_deref(), Some("src/test/x"));
        assert_eq!(module_name("LICENSE").as_deref(), Some("LICENSE"));
        assert_eq!(sdk_name("src/cmd/_go.mod"), "src/cmd/go.mod");
        assert_eq!(sdk_name("_go.mod"), "go.mod");
        assert_eq!(sdk_name("src/x_go.mod"), "src/x_go.mod");
    }

    #[test]
    fn modes_follow_distpack() {
        assert_eq!(mode("bin/go"), 0o755);
        assert_eq!(mode("pkg/tool/linux_amd64/compile"), 0o755);
        assert_eq!(mode("src/make.bash"), 0o755);
        assert_eq!(mode("src/run.rc"), 0o755);
        assert_eq!(mode("lib/wasm/go_js_wasm_exec"), 0o755);
        assert_eq!(mode("misc/wasm/go_js_wasm_exec"), 0o755);
        assert_eq!(mode("lib/wasm/go__wasm_exec"), 0o644);
        assert_eq!(mode("lib/wasm/go_js_exec"), 0o644);
        assert_eq!(mode("src/fmt/print.go"), 0o644);
        assert_eq!(mode("VERSION"), 0o644);
    }

    #[test]
    fn module_versions() {
        let p = Platform::from_rust("linux", "x86_64");
        let v: GoVersion = "1.22.6".parse().unwrap();
        assert_eq!(module_version(&v, &p), "v0.0.1-go1.22.6.linux-amd64");
        assert_eq!(release_of("v0.0.1-go1.22.6.linux-amd64", &p), Some(v));
        assert_eq!(
            release_of("v0.0.1-go1.23rc1.linux-amd64", &p),
            Some("1.23rc1".parse().unwrap())
        );
        assert_eq!(release_of("v0.0.1-go1.22.6.darwin-arm64", &p), None);
        assert!(has_module(&"1.21.0".parse().unwrap()));
        assert!(
            has_module(&"1.21rc2".parse().unwrap())
                == ("1.21rc2".parse::<GoVersion>().unwrap() >= "1.21.0".parse().unwrap())
        );
        assert!(!has_module(&"1.20.14".parse().unwrap()));
    }

    #[test]
    fn tree_hash_covers_module_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (name, data) in [
            ("VERSION", "go1.22.6\n"),
            ("src/go.mod", "module std\n"),
            ("doc/x.html", "doc"),
            (".gvr/receipt.json", "{}"),
        ] {
            let p = root.join(name);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, data).unwrap();
        }
        let got = hash_tree(root, "v0.0.1-go1.22.6.linux-amd64", &[".gvr"]).unwrap();
        let mut want = Hash1::new();
        let pre = "golang.org/toolchain@v0.0.1-go1.22.6.linux-amd64/";
        want.add_bytes(format!("{pre}VERSION"), b"go1.22.6\n");
        want.add_bytes(format!("{pre}src/_go.mod"), b"module std\n");
        assert_eq!(got.h1, want.finish().unwrap());
        assert_eq!(got.files, 2);
        assert!(got.has_full_tree);
    }
}
