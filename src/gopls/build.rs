//! Building gopls from source with one SDK: `go install golang.org/x/tools/gopls@vX`
//! into a staging `GOBIN`, with that SDK's `go`, `GOROOT` and `bin` first on `PATH`,
//! `GOTOOLCHAIN=local` (so the SDK we chose builds it, or says it is too old), and the
//! user's GOPROXY/GOSUMDB/GONOSUMDB/GOPRIVATE/GOFLAGS inherited untouched, so module
//! downloads are verified by Go's checksum database as usual.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{binary_name, GoplsError, GoplsVersion, MODULE};
use crate::toolchain::prepend_path;
use crate::version::GoVersion;

/// What to build and with which SDK. `extra_env` is applied last, over everything else
/// (tests use it for a `file://` GOPROXY; callers may pass a policy of their own).
#[derive(Debug, Clone, Copy)]
pub struct BuildRequest<'a> {
    pub gopls: &'a GoplsVersion,
    pub goroot: &'a Path,
    pub go: &'a GoVersion,
    pub extra_env: &'a [(OsString, OsString)],
    /// `GOPROXY=off`: build only from the module cache.
    pub offline: bool,
}

impl BuildRequest<'_> {
    pub fn go_binary(&self) -> PathBuf {
        self.goroot
            .join("bin")
            .join(if cfg!(windows) { "go.exe" } else { "go" })
    }
}

/// The environment changes for a `go` run of this build given the caller's `PATH`:
/// `Some` sets, `None` removes. The SDK's `bin` goes first on PATH as for the shims;
/// GOOS/GOARCH are removed because the result must run here; GOWORK=off because a
/// go.work around the caller's directory has nothing to do with building gopls.
pub fn build_env(
    req: &BuildRequest<'_>,
    gobin: &Path,
    path: Option<&OsStr>,
) -> Vec<(OsString, Option<OsString>)> {
    let path = prepend_path(&req.goroot.join("bin"), path);
    let mut env: Vec<(OsString, Option<OsString>)> = vec![
        ("GOROOT".into(), Some(req.goroot.into())),
        ("PATH".into(), Some(path)),
        ("GOBIN".into(), Some(gobin.into())),
        ("GOTOOLCHAIN".into(), Some("local".into())),
        ("GOWORK".into(), Some("off".into())),
        ("GOOS".into(), None),
        ("GOARCH".into(), None),
    ];
    if req.offline {
        env.push(("GOPROXY".into(), Some("off".into())));
    }
    env.extend(
        req.extra_env
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone()))),
    );
    env
}

fn go_command(req: &BuildRequest<'_>, gobin: &Path, cwd: &Path) -> Command {
    let mut cmd = Command::new(req.go_binary());
    for (k, v) in build_env(req, gobin, std::env::var_os("PATH").as_deref()) {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.current_dir(cwd).stdin(Stdio::null());
    cmd
}

/// Where the modules come from and how they are verified, as this build's `go` sees it
/// (`go env GOPROXY GOSUMDB`), for the receipt.
pub(crate) fn module_source(
    req: &BuildRequest<'_>,
    staging: &Path,
) -> Result<(String, String), GoplsError> {
    let go = req.go_binary();
    let out = go_command(req, staging, staging)
        .args(["env", "GOPROXY", "GOSUMDB"])
        .output()
        .map_err(|source| GoplsError::Spawn {
            program: go.clone(),
            source,
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let proxy = lines.next().unwrap_or("").trim().to_string();
    let sumdb = lines.next().unwrap_or("").trim().to_string();
    Ok((proxy, sumdb))
}

/// Runs the build into `staging` (used as GOBIN and as the working directory) and
/// returns the built binary. A "requires go >= X" refusal becomes `needs`.
pub(crate) fn run_build(req: &BuildRequest<'_>, staging: &Path) -> Result<PathBuf, BuildFailure> {
    let go = req.go_binary();
    let out = go_command(req, staging, staging)
        .arg("install")
        .arg(format!("{MODULE}@{}", req.gopls))
        .output()
        .map_err(|source| {
            BuildFailure::Other(GoplsError::Spawn {
                program: go.clone(),
                source,
            })
        })?;
    if !out.status.success() {
        let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stdout));
        if let Some(needs) = required_go(&text) {
            return Err(BuildFailure::TooOld {
                needs,
                line: first_line_with(&text, "requires go >= "),
            });
        }
        return Err(BuildFailure::Other(GoplsError::BuildFailed {
            gopls: req.gopls.clone(),
            go: req.go.clone(),
            status: out.status.to_string(),
            output: tail(&text, 40),
        }));
    }
    let bin = staging.join(binary_name());
    if !bin.is_file() {
        return Err(BuildFailure::Other(GoplsError::NoBinary { path: bin }));
    }
    Ok(bin)
}

pub(crate) enum BuildFailure {
    TooOld { needs: GoVersion, line: String },
    Other(GoplsError),
}

/// The Go version in go's `… requires go >= 1.24.2 (running go 1.23.4; GOTOOLCHAIN=local)`.
pub(crate) fn required_go(output: &str) -> Option<GoVersion> {
    let at = output.find("requires go >= ")? + "requires go >= ".len();
    let token: String = output[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ')' && *c != ';')
        .collect();
    token.parse().ok()
}

fn first_line_with(text: &str, needle: &str) -> String {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gos_too_new_error() {
        let out = "go: golang.org/x/tools/gopls@v0.20.0 requires go >= 1.24.2 (running go 1.23.4; GOTOOLCHAIN=local)\n";
        assert_eq!(required_go(out).unwrap().to_string(), "1.24.2");
        assert_eq!(
            required_go("go: downloading x\ngo: m@v1 requires go >= 1.25; switching\n")
                .unwrap()
                .to_string(),
            "1.25"
        );
        assert!(required_go("build failed").is_none());
    }

    #[test]
    fn env_pins_the_sdk_and_keeps_the_users_proxy() {
        let goroot = Path::new("/opt/go1.24.11");
        let gopls: GoplsVersion = "v0.20.0".parse().unwrap();
        let go: GoVersion = "1.24.11".parse().unwrap();
        let extra = [(OsString::from("GOFLAGS"), OsString::from("-mod=mod"))];
        let req = BuildRequest {
            gopls: &gopls,
            goroot,
            go: &go,
            extra_env: &extra,
            offline: false,
        };
        let paths = |p: &[&str]| std::env::join_paths(p).unwrap();
        let user_path = paths(&["/usr/bin", "/opt/go1.24.11/bin", "/bin"]);
        let env = build_env(&req, Path::new("/h/tmp/stage"), Some(&user_path));
        let get = |k: &str| {
            env.iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("GOROOT"), Some(Some(goroot.into())));
        assert_eq!(get("GOTOOLCHAIN"), Some(Some("local".into())));
        assert_eq!(get("GOBIN"), Some(Some("/h/tmp/stage".into())));
        assert_eq!(get("GOOS"), Some(None));
        assert_eq!(get("GOFLAGS"), Some(Some("-mod=mod".into())));
        // The user's proxy and checksum settings are inherited, not set.
        assert_eq!(get("GOPROXY"), None);
        assert_eq!(get("GOSUMDB"), None);
        // The SDK's bin first, and only once.
        assert_eq!(
            get("PATH"),
            Some(Some(paths(&["/opt/go1.24.11/bin", "/usr/bin", "/bin"])))
        );
        let offline = BuildRequest {
            offline: true,
            ..req
        };
        let env = build_env(&offline, Path::new("/s"), None);
        assert!(env
            .iter()
            .any(|(k, v)| k == "GOPROXY" && v.as_deref() == Some("off".as_ref())));
    }
}
