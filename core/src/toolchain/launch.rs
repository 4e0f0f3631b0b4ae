//! Getting a tool ready to run here: the steps the shims and `gvr exec` share, so both
//! select, install on demand and build the environment the same way. The caller
//! resolves the program and execs it.

use std::ffi::OsStr;

use super::{EnvValue, EnvVar, Toolchain, ToolchainError};
use crate::home::GvrHome;
use crate::select::{select_with, Here, SelectError};
use crate::version::VersionSpec;
use crate::workspace::Workspace;

/// The variable that lets a missing selected version be installed on first use.
pub const AUTO_INSTALL_VAR: &str = "GVR_AUTO_INSTALL";

/// The selected SDK, the workspace and the environment a tool gets here.
#[derive(Debug, Clone)]
pub struct Launch {
    pub toolchain: Toolchain,
    pub workspace: Workspace,
    pub vars: Vec<EnvVar>,
}

/// Whether `GVR_AUTO_INSTALL` asks for installs on demand (`1`, `true`, `yes`).
pub fn auto_install_enabled(value: Option<&OsStr>) -> bool {
    value.is_some_and(|v| {
        matches!(
            v.to_str().map(str::to_ascii_lowercase).as_deref(),
            Some("1" | "true" | "yes")
        )
    })
}

/// Selects the Go for `here` (`spec`, e.g. `gvr exec --version`, wins when given), finds
/// the workspace, computes the tool's environment (everything read through
/// `here.process`) and marks the workspace's cache as used. A selected version that is
/// not installed is handed to `install` when `GVR_AUTO_INSTALL` is on, then selected
/// again.
pub fn prepare<E>(
    home: &GvrHome,
    here: &Here,
    spec: Option<&VersionSpec>,
    install: impl FnOnce(&VersionSpec) -> Result<(), E>,
) -> Result<Launch, E>
where
    E: From<SelectError> + From<ToolchainError>,
{
    let selection = match select_with(home, here, spec) {
        Ok(s) => s,
        Err(e) => match e.missing_spec() {
            Some(missing)
                if auto_install_enabled(here.process.var_os(AUTO_INSTALL_VAR).as_deref()) =>
            {
                install(missing)?;
                select_with(home, here, spec)?
            }
            _ => return Err(e.into()),
        },
    };
    let workspace = Workspace::find(home, here);
    let toolchain = Toolchain::new(home, selection);
    let vars = toolchain.env(&workspace, here.process)?;
    if vars
        .iter()
        .any(|v| v.name == "GOCACHE" && matches!(v.value, EnvValue::Set(_)))
    {
        workspace.mark_used();
    }
    Ok(Launch {
        toolchain,
        workspace,
        vars,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::TestEnv;
    use crate::select::Selected;

    #[derive(Debug)]
    enum Failed {
        Select(SelectError),
        // Only shown by `{:?}` when a test fails.
        #[allow(dead_code)]
        Toolchain(ToolchainError),
    }
    impl From<SelectError> for Failed {
        fn from(e: SelectError) -> Self {
            Failed::Select(e)
        }
    }
    impl From<ToolchainError> for Failed {
        fn from(e: ToolchainError) -> Self {
            Failed::Toolchain(e)
        }
    }

    #[test]
    fn auto_install_values() {
        for (v, on) in [
            ("1", true),
            ("TRUE", true),
            ("yes", true),
            ("0", false),
            ("", false),
        ] {
            assert_eq!(auto_install_enabled(Some(OsStr::new(v))), on, "{v}");
        }
        assert!(!auto_install_enabled(None));
    }

    #[test]
    fn installs_a_missing_version_only_when_asked_and_marks_the_cache() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().canonicalize().unwrap();
        let home = GvrHome::at(root.join("gvr"), root.join("cache"));
        let proj = root.join("p");
        std::fs::create_dir_all(&proj).unwrap();
        std::fs::write(proj.join(".go-version"), "1.22.10\n").unwrap();
        let install = |spec: &VersionSpec| -> Result<(), Failed> {
            assert_eq!(spec.to_string(), "1.22.10");
            let bin = home.versions_dir().join("1.22.10/bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join("go"), "").unwrap();
            Ok(())
        };
        let off = TestEnv::of(&[("GOENV", "off")]);
        let here = Here::new(&off, proj.clone()).unwrap();
        let err = prepare(&home, &here, None, install).unwrap_err();
        assert!(
            matches!(&err, Failed::Select(e) if e.missing_spec().is_some()),
            "{err:?}"
        );

        let on = TestEnv::of(&[(AUTO_INSTALL_VAR, "1"), ("GOENV", "off")]);
        let here = Here::new(&on, proj.clone()).unwrap();
        let launch = prepare(&home, &here, None, install).unwrap();
        assert_eq!(
            launch.toolchain.selection.version,
            Selected::Version("1.22.10".parse().unwrap())
        );
        assert_eq!(launch.workspace.root, proj);
        assert!(launch
            .workspace
            .gocache
            .join(crate::workspace::USED_MARKER)
            .is_file());
    }
}
