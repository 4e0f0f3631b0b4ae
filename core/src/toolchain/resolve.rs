//! Which binary a shim named `tool` runs: the single place that maps a tool name to a
//! file, so pinned tools (gopls) are added here.

use std::path::{Path, PathBuf};

use super::{Toolchain, ToolchainError};
use crate::home::GvrHome;
use crate::process::Process;

/// The binary a shim named `tool` runs for this toolchain in `cwd` (the directory the
/// selection was made for; gopls pins are looked up from there). The single place that
/// maps a tool name to a file, so pinned tools (gopls) can be added here.
pub fn resolve_tool(
    p: &dyn Process,
    home: &GvrHome,
    toolchain: &Toolchain,
    tool: &str,
    cwd: &Path,
) -> Result<PathBuf, ToolchainError> {
    match tool {
        "go" | "gofmt" => {
            let path = toolchain.tool_path(tool);
            if p.is_file(&path) {
                Ok(path)
            } else {
                Err(ToolchainError::MissingTool {
                    tool: tool.to_string(),
                    version: toolchain.selection.version.to_string(),
                    path,
                })
            }
        }
        "gopls" => {
            let go = toolchain.version().ok_or(ToolchainError::GoplsOnSystemGo)?;
            Ok(crate::gopls::pinned_binary(p, home, cwd, go)?.0)
        }
        _ => Err(ToolchainError::NotShimmed {
            tool: tool.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_fixture::fixture;
    use super::*;
    use crate::process::OsProcess;

    #[test]
    fn tool_resolution() {
        let f = fixture();
        assert_eq!(
            resolve_tool(&OsProcess, &f.home, &f.tc, "go", Path::new("/")).unwrap(),
            f.tc.bin_dir.join("go")
        );
        let e = resolve_tool(&OsProcess, &f.home, &f.tc, "gofmt", Path::new("/")).unwrap_err();
        assert!(
            e.to_string().contains("gofmt is missing from Go 1.22.10") && e.exit_code() == 127,
            "{e}"
        );
        assert!(matches!(
            resolve_tool(&OsProcess, &f.home, &f.tc, "dlv", Path::new("/")),
            Err(ToolchainError::NotShimmed { .. })
        ));
    }

    #[test]
    fn gopls_is_resolved_for_the_given_directory() {
        let f = fixture();
        let proj = tempfile::tempdir().unwrap();
        std::fs::write(proj.path().join(crate::gopls::PIN_FILE), "v0.19.1\n").unwrap();
        let go = f.tc.version().unwrap();
        let bin = crate::gopls::build_binary_path(&f.home, &"v0.19.1".parse().unwrap(), go);
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::write(&bin, "").unwrap();
        // The pin in `proj`, not in this process's current directory, decides.
        assert_eq!(
            resolve_tool(&OsProcess, &f.home, &f.tc, "gopls", proj.path()).unwrap(),
            bin
        );
    }
}
