//! An SDK ready to run: where its binaries are, which binary a shim runs, and the
//! environment a tool gets. The shims and `gvr exec` build their commands here, so
//! both behave alike.
//!
//! The concepts live in submodules: [`env`](mod@env) (the environment policy), [`resolve`]
//! (tool name → binary), [`depth`] (the recursion guard), [`path`] (PATH prepend) and
//! [`launch`] (the steps shims and `gvr exec` share). The `GVR_SET` marker, go's env
//! file, FNV-1a and the `EnvVar` type are top-level modules (selection reads them too),
//! re-exported here under their old names.

pub mod depth;
pub mod env;
pub mod launch;
pub mod path;
pub mod resolve;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::home::GvrHome;
use crate::select::{Selected, Selection};
use crate::version::GoVersion;

pub use crate::env_var::{apply_env, EnvValue, EnvVar};
pub use crate::fnv::fnv1a;
pub use crate::go_env_file::go_env_path;
pub use crate::gvr_set::{GvrSet, GVR_SET_VAR};
pub use depth::{next_shim_depth, MAX_SHIM_DEPTH, SHIM_DEPTH_VAR};
pub use path::prepend_path;
pub use resolve::resolve_tool;

/// The tools gvr puts in its shims directory.
pub const SHIMMED_TOOLS: [&str; 3] = ["go", "gofmt", "gopls"];

#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    #[error(
        "gvr's shims ran each other {depth} times in a row ({SHIM_DEPTH_VAR}={depth}): something on PATH named like a Go tool leads back to a shim; check PATH (gvr's shims dir must not be copied elsewhere) and any `system` pin"
    )]
    Recursion { depth: u32 },
    #[error("`{tool}` is not a tool gvr shims (it runs go and gofmt from the selected SDK and the pinned gopls)")]
    NotShimmed { tool: String },
    #[error("{tool} is missing from Go {version}: {} does not exist; reinstall it with `gvr install {version}`", path.display())]
    MissingTool {
        tool: String,
        version: String,
        path: PathBuf,
    },
    /// Boxed: the gopls error is large and this type is on the shim's hot path.
    #[error(transparent)]
    Gopls(Box<crate::gopls::LookupError>),
    #[error("gopls needs a gvr-installed Go: the selected go is the system one; pin a version or set GVR_GOPLS_VERSION")]
    GoplsOnSystemGo,
}

impl From<crate::gopls::LookupError> for ToolchainError {
    fn from(e: crate::gopls::LookupError) -> Self {
        ToolchainError::Gopls(Box::new(e))
    }
}

impl ToolchainError {
    /// The exit code a shim uses: 127 (as shells do) when the tool is absent.
    pub fn exit_code(&self) -> u8 {
        match self {
            ToolchainError::NotShimmed { .. } | ToolchainError::MissingTool { .. } => 127,
            ToolchainError::Recursion { .. }
            | ToolchainError::Gopls(_)
            | ToolchainError::GoplsOnSystemGo => 1,
        }
    }
}

/// The selected SDK: its directories and the selection that chose it.
#[derive(Debug, Clone)]
pub struct Toolchain {
    pub selection: Selection,
    /// `None` for a system go whose layout does not reveal its GOROOT; the go binary
    /// then finds its own (and a stale GOROOT is removed).
    pub goroot: Option<PathBuf>,
    /// The directory holding `go` and `gofmt`.
    pub bin_dir: PathBuf,
}

impl Toolchain {
    pub fn new(home: &GvrHome, selection: Selection) -> Toolchain {
        let (goroot, bin_dir) = match &selection.version {
            Selected::Version(v) => {
                let root = home.version_dir(v);
                (Some(root.clone()), root.join("bin"))
            }
            Selected::System(sys) => match &sys.goroot {
                Some(root) => (Some(root.clone()), root.join("bin")),
                None => (
                    None,
                    sys.path.parent().map(Path::to_path_buf).unwrap_or_default(),
                ),
            },
        };
        Toolchain {
            selection,
            goroot,
            bin_dir,
        }
    }

    pub fn version(&self) -> Option<&GoVersion> {
        self.selection.go_version()
    }

    /// `<bin>/<tool>` (with `.exe` on Windows), whether or not it exists.
    pub fn tool_path(&self, tool: &str) -> PathBuf {
        self.bin_dir
            .join(format!("{tool}{}", std::env::consts::EXE_SUFFIX))
    }

    /// A command for `program` with `args` and the environment `vars` applied.
    pub fn command<I, S>(program: &Path, args: I, vars: &[EnvVar]) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(program);
        cmd.args(args);
        apply_env(&mut cmd, vars);
        cmd
    }
}

/// A home with Go 1.22.10 installed and selected by a `.go-version`, and a workspace.
#[cfg(test)]
mod test_fixture {
    use super::*;
    use crate::select::Origin;
    use crate::workspace::{CachePolicy, Workspace};

    pub struct Fixture {
        pub _t: tempfile::TempDir,
        pub home: GvrHome,
        pub ws: Workspace,
        pub tc: Toolchain,
    }

    pub fn fixture() -> Fixture {
        let t = tempfile::tempdir().unwrap();
        let home = GvrHome::at(t.path().join("gvr"), t.path().join("cache"));
        let v: GoVersion = "1.22.10".parse().unwrap();
        std::fs::create_dir_all(home.version_dir(&v).join("bin")).unwrap();
        std::fs::write(home.version_dir(&v).join("bin/go"), "").unwrap();
        let pin = t.path().join("p/.go-version");
        let sel = Selection {
            version: Selected::Version(v),
            origin: Origin::GoVersionFile(pin),
        };
        let tc = Toolchain::new(&home, sel);
        let ws = Workspace {
            root: t.path().join("p"),
            gowork: Some(t.path().join("p/go.work")),
            gocache: home.gocache_root().join("p-0123456789ab"),
            cache_policy: CachePolicy::PerWorkspace,
        };
        Fixture {
            _t: t,
            home,
            ws,
            tc,
        }
    }
}
