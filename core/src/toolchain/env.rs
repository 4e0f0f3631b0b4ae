//! The environment a tool gets here, each variable with the reason: GOROOT and PATH
//! for the selected SDK, the recursion counter, `GVR_GO_*`, and GOTOOLCHAIN and
//! GOCACHE unless the user chose them (in the environment or with `go env -w`). GOWORK
//! is left to go's own discovery.
//!
//! Everything set here is inherited by the tool's children, including a `go` run in
//! another directory (the SDK's `bin` is first on PATH, so it is this SDK's go, not a
//! shim). Each value is therefore one that holds there too, or one a shim or Go
//! itself replaces: GOROOT and PATH name the go that runs (and go exports GOROOT to
//! its own children anyway); GOTOOLCHAIN=local keeps that go from switching anywhere;
//! GOCACHE is a content-addressed cache any module may share; `GVR_SET` lets a nested
//! shim recompute all of them for its own directory. GOWORK would not hold (it would
//! force an unrelated module into this workspace), so it is not set.

use std::path::Path;

use super::depth::{next_shim_depth, SHIM_DEPTH_VAR};
use super::path::prepend_path;
use super::{Toolchain, ToolchainError};
use crate::env_var::{EnvValue, EnvVar};
use crate::go_env_file::GoEnvFile;
use crate::gvr_set::GvrSet;
use crate::process::Process;
use crate::workspace::{CachePolicy, Workspace};

impl Toolchain {
    /// The environment a tool gets here, each variable with the reason, given the
    /// environment (and `go env -w` settings) of `p`.
    pub fn env(&self, ws: &Workspace, p: &dyn Process) -> Result<Vec<EnvVar>, ToolchainError> {
        let marker = GvrSet::from_process(p);
        let user = |k: &str| marker.users_own(k, p.var_os(k));
        // A value an outer gvr set that no longer applies here is removed.
        let inherited = |k: &str| p.var_os(k).is_some_and(|v| marker.set_by_gvr(k, &v));
        let drop_inherited = |mut var: EnvVar| {
            if var.value == EnvValue::Untouched && inherited(var.name) {
                var.value = EnvValue::Unset;
                var.why
                    .push_str(" (removes the value gvr set for another workspace)");
            }
            var
        };
        let mut vars = self.core_env(p, &marker)?;
        let saved = GoEnvFile::load(p);

        vars.push(drop_inherited(
            match (user("GOTOOLCHAIN"), saved.get("GOTOOLCHAIN")) {
                (Some(v), _) => EnvVar::kept("GOTOOLCHAIN", v, "set by you"),
                (None, Some(_)) => saved.untouched("GOTOOLCHAIN"),
                (None, None) => EnvVar::set(
                    "GOTOOLCHAIN",
                    "local",
                    "so go.mod cannot make go download another toolchain behind gvr's back",
                ),
            },
        ));
        // Never exported: go finds the go.work itself, from the directory it runs in, so
        // a nested go in another module (a test's temp module, a generator that `cd`s)
        // is not forced into this workspace. Only a value an outer gvr set is removed.
        vars.push(drop_inherited(
            match (user("GOWORK"), saved.get("GOWORK"), &ws.gowork) {
                (Some(v), _, _) => EnvVar::kept("GOWORK", v, "set by you"),
                (None, Some(_), _) => saved.untouched("GOWORK"),
                (None, None, Some(work)) => EnvVar {
                    name: "GOWORK",
                    value: EnvValue::Untouched,
                    why: format!("go finds {} itself, as the nearest go.work", work.display()),
                },
                (None, None, None) => EnvVar {
                    name: "GOWORK",
                    value: EnvValue::Untouched,
                    why: "no go.work applies here".into(),
                },
            },
        ));
        vars.push(drop_inherited(match (user("GOCACHE"), ws.cache_policy) {
            (Some(v), _) => EnvVar::kept("GOCACHE", v, "set by you"),
            (None, _) if saved.get("GOCACHE").is_some() => saved.untouched("GOCACHE"),
            (None, CachePolicy::Shared) => EnvVar {
                name: "GOCACHE",
                value: EnvValue::Untouched,
                why: "GVR_GOCACHE=shared: go's default cache".into(),
            },
            (None, CachePolicy::PerWorkspace) => EnvVar::set(
                "GOCACHE",
                &ws.gocache,
                format!("this workspace's cache (root {})", ws.root.display()),
            ),
        }));
        vars.extend(marker.next(&vars, p));
        Ok(vars)
    }

    /// The part of [`Toolchain::env`] a `go<version>` entry sets: GOROOT, PATH, the
    /// recursion counter and `GVR_GO_*`. Everything else was set by whatever ran it.
    pub fn base_env(&self, p: &dyn Process) -> Result<Vec<EnvVar>, ToolchainError> {
        let marker = GvrSet::from_process(p);
        let mut vars = self.core_env(p, &marker)?;
        vars.extend(marker.next(&vars, p));
        Ok(vars)
    }

    /// GOROOT, PATH, the recursion counter, GVR_GO_VERSION and GVR_GO_ORIGIN.
    fn core_env(&self, p: &dyn Process, marker: &GvrSet) -> Result<Vec<EnvVar>, ToolchainError> {
        let depth = next_shim_depth(p.var_os(SHIM_DEPTH_VAR).as_deref())?;
        let stale = marker.users_own("GOROOT", p.var_os("GOROOT"));
        let goroot = match (&self.goroot, stale) {
            (Some(root), Some(old)) if Path::new(&old) != root => EnvVar::set(
                "GOROOT",
                root,
                format!(
                    "the selected SDK (overrides GOROOT={})",
                    Path::new(&old).display()
                ),
            ),
            (Some(root), _) => EnvVar::set("GOROOT", root, "the selected SDK"),
            (None, _) => EnvVar {
                name: "GOROOT",
                value: EnvValue::Unset,
                why: "the system go finds its own".into(),
            },
        };
        let path = prepend_path(&self.bin_dir, p.var_os("PATH").as_deref());
        Ok(vec![
            goroot,
            EnvVar::set(
                "PATH",
                path,
                format!(
                    "{} first, so nested go calls use the same SDK",
                    self.bin_dir.display()
                ),
            ),
            EnvVar::set(SHIM_DEPTH_VAR, depth.to_string(), "recursion guard"),
            EnvVar::set(
                "GVR_GO_VERSION",
                self.version()
                    .map_or_else(|| "system".to_string(), |v| v.to_string()),
                "the selected version",
            ),
            EnvVar::set(
                "GVR_GO_ORIGIN",
                self.selection.origin.to_string(),
                "why that version",
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_fixture::{fixture, Fixture};
    use super::*;
    use crate::gvr_set::{fingerprint, GVR_SET_VAR};
    use crate::process::TestEnv;
    use crate::select::{Origin, Selected, Selection, SystemGo};
    use crate::toolchain::MAX_SHIM_DEPTH;
    use std::collections::HashMap;
    use std::ffi::{OsStr, OsString};
    use std::path::PathBuf;

    fn env_of(f: &Fixture, user: &[(&str, &str)]) -> HashMap<&'static str, EnvValue> {
        // GOENV=off unless a test names a file: never read the developer's go env.
        let mut user: HashMap<String, OsString> = user
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        user.entry("GOENV".into()).or_insert_with(|| "off".into());
        f.tc.env(&f.ws, &TestEnv(user))
            .unwrap()
            .into_iter()
            .map(|v| (v.name, v.value))
            .collect()
    }

    fn set(s: impl AsRef<OsStr>) -> EnvValue {
        EnvValue::Set(s.as_ref().to_owned())
    }

    #[test]
    fn defaults() {
        let f = fixture();
        let root = f.home.version_dir(&"1.22.10".parse().unwrap());
        let e = env_of(
            &f,
            &[
                ("PATH", "/usr/bin:/bin"),
                ("GOPATH", "/gp"),
                ("GOBIN", "/gb"),
            ],
        );
        assert_eq!(e["GOROOT"], set(&root));
        assert_eq!(
            e["PATH"],
            set(format!("{}:/usr/bin:/bin", root.join("bin").display()))
        );
        assert_eq!(e["GOTOOLCHAIN"], set("local"));
        // go finds the workspace's go.work itself; gvr does not export it.
        assert_eq!(e["GOWORK"], EnvValue::Untouched);
        assert_eq!(e["GOCACHE"], set(&f.ws.gocache));
        assert_eq!(e["GVR_GO_VERSION"], set("1.22.10"));
        assert_eq!(e["GVR_GO_ORIGIN"], set(f.tc.selection.origin.to_string()));
        assert_eq!(e[SHIM_DEPTH_VAR], set("1"));
        assert!(!e.contains_key("GOPATH") && !e.contains_key("GOBIN"));
    }

    #[test]
    fn user_choices_are_kept_and_stale_goroot_overridden() {
        let f = fixture();
        let e = env_of(
            &f,
            &[
                ("GOTOOLCHAIN", "go1.23.4"),
                ("GOWORK", "off"),
                ("GOCACHE", "/c"),
                ("GOROOT", "/old/go"),
            ],
        );
        assert_eq!(e["GOTOOLCHAIN"], EnvValue::Kept("go1.23.4".into()));
        assert_eq!(e["GOWORK"], EnvValue::Kept("off".into()));
        assert_eq!(e["GOCACHE"], EnvValue::Kept("/c".into()));
        assert_eq!(e["GOROOT"], set(f.tc.goroot.as_ref().unwrap()));
        // Empty values are unset as far as go is concerned.
        let e = env_of(&f, &[("GOTOOLCHAIN", ""), ("GOCACHE", "")]);
        assert_eq!(e["GOTOOLCHAIN"], set("local"));
        assert_eq!(e["GOCACHE"], set(&f.ws.gocache));
    }

    #[test]
    fn go_env_w_settings_are_the_users_too() {
        let f = fixture();
        let file = f._t.path().join("go-env");
        std::fs::write(
            &file,
            "GOTOOLCHAIN=auto\nGOCACHE=/saved/cache\nGOPROXY=off\n",
        )
        .unwrap();
        let goenv = file.display().to_string();
        let e = env_of(&f, &[("GOENV", &goenv)]);
        assert_eq!(e["GOTOOLCHAIN"], EnvValue::Untouched);
        assert_eq!(e["GOCACHE"], EnvValue::Untouched);
        assert_eq!(e["GOWORK"], EnvValue::Untouched);
        // The environment still beats the file, and GOENV=off ignores it.
        assert_eq!(
            env_of(&f, &[("GOENV", &goenv), ("GOTOOLCHAIN", "local")])["GOTOOLCHAIN"],
            EnvValue::Kept("local".into())
        );
        assert_eq!(env_of(&f, &[("GOENV", "off")])["GOTOOLCHAIN"], set("local"));
        std::fs::write(&file, "GOTOOLCHAIN=\n").unwrap();
        assert_eq!(
            env_of(&f, &[("GOENV", &goenv)])["GOTOOLCHAIN"],
            set("local")
        );
    }

    #[test]
    fn values_an_outer_gvr_set_are_recomputed_not_kept() {
        let f = fixture();
        // What an outer shim in workspace `p` exported.
        let mut outer: HashMap<String, OsString> =
            f.tc.env(&f.ws, &TestEnv::of(&[("GOENV", "off")]))
                .unwrap()
                .into_iter()
                .filter_map(|v| match v.value {
                    EnvValue::Set(x) => Some((v.name.to_string(), x)),
                    _ => None,
                })
                .collect();
        outer.insert("GOENV".into(), "off".into());
        assert!(!outer.contains_key("GOWORK"), "{outer:?}");
        // An older gvr also exported the workspace's GOWORK, with its fingerprint.
        let work = f.ws.gowork.clone().unwrap().into_os_string();
        let marker = format!(
            "{},GOWORK:{:016x}",
            outer[GVR_SET_VAR].to_str().unwrap(),
            fingerprint(&work)
        );
        outer.insert(GVR_SET_VAR.into(), marker.into());
        outer.insert("GOWORK".into(), work);
        // An inner shim in workspace `q`, without a go.work, with the shared cache.
        let mut q = f.ws.clone();
        q.gowork = None;
        q.cache_policy = CachePolicy::Shared;
        let inner = |outer: &HashMap<String, OsString>| -> HashMap<&'static str, EnvVar> {
            f.tc.env(&q, &TestEnv(outer.clone()))
                .unwrap()
                .into_iter()
                .map(|v| (v.name, v))
                .collect()
        };
        let e = inner(&outer);
        assert_eq!(e["GOWORK"].value, EnvValue::Unset);
        assert_eq!(e["GOCACHE"].value, EnvValue::Unset);
        assert_eq!(e["GOTOOLCHAIN"].value, set("local"));
        assert_eq!(e["GOROOT"].why, "the selected SDK");
        assert_eq!(
            e[GVR_SET_VAR].value,
            set(format!(
                "GOROOT:{:016x},GOTOOLCHAIN:{:016x}",
                fingerprint(f.tc.goroot.as_ref().unwrap().as_os_str()),
                fingerprint("local".as_ref())
            ))
        );
        // A value the user changed since is theirs again.
        outer.insert("GOWORK".into(), "off".into());
        outer.insert("GOCACHE".into(), "/mine".into());
        let e = inner(&outer);
        assert_eq!(e["GOWORK"].value, EnvValue::Kept("off".into()));
        assert_eq!(e["GOCACHE"].value, EnvValue::Kept("/mine".into()));
    }

    #[test]
    fn shared_cache_policy_and_no_go_work() {
        let mut f = fixture();
        f.ws.cache_policy = CachePolicy::Shared;
        f.ws.gowork = None;
        let e = env_of(&f, &[]);
        assert_eq!(e["GOCACHE"], EnvValue::Untouched);
        assert_eq!(e["GOWORK"], EnvValue::Untouched);
    }

    #[test]
    fn path_is_not_grown_by_nesting() {
        let f = fixture();
        let bin = f.tc.bin_dir.display().to_string();
        let e = env_of(&f, &[("PATH", &format!("/a:{bin}:/b"))]);
        assert_eq!(e["PATH"], set(format!("{bin}:/a:/b")));
    }

    #[test]
    fn recursion_counter() {
        let f = fixture();
        assert_eq!(
            env_of(&f, &[(SHIM_DEPTH_VAR, "3")])[SHIM_DEPTH_VAR],
            set("4")
        );
        assert_eq!(
            env_of(&f, &[(SHIM_DEPTH_VAR, "junk")])[SHIM_DEPTH_VAR],
            set("1")
        );
        let limit = MAX_SHIM_DEPTH.to_string();
        let err =
            f.tc.env(&f.ws, &TestEnv::of(&[(SHIM_DEPTH_VAR, &limit)]))
                .unwrap_err();
        assert!(matches!(err, ToolchainError::Recursion { depth } if depth == MAX_SHIM_DEPTH));
    }

    #[test]
    fn system_go_without_known_root_unsets_goroot() {
        let f = fixture();
        let sys = SystemGo {
            path: PathBuf::from("/opt/x/go"),
            goroot: None,
            version: None,
        };
        let tc = Toolchain::new(
            &f.home,
            Selection {
                origin: Origin::System(sys.path.clone()),
                version: Selected::System(sys),
            },
        );
        assert_eq!(tc.bin_dir, PathBuf::from("/opt/x"));
        let e: HashMap<_, _> = tc
            .env(&f.ws, &TestEnv::of(&[("GOENV", "off")]))
            .unwrap()
            .into_iter()
            .map(|v| (v.name, v.value))
            .collect();
        assert_eq!(e["GOROOT"], EnvValue::Unset);
        assert_eq!(e["GVR_GO_VERSION"], set("system"));
    }
}
