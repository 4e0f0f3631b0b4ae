//! `vscode`: the VS Code settings that apply here (the nearest `.vscode/settings.json`
//! and the user settings files) use only settings vscode-go defines and point its `go`
//! and `gopls` at gvr.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{Check, Facts, Fix};
use crate::vscode::{self, is_go_setting, is_gopls_setting};

const ID: &str = "vscode";

/// The settings files that apply here, workspace first, each with whether it is the
/// user's.
fn settings_files(f: &Facts) -> Vec<(PathBuf, bool)> {
    let mut out: Vec<(PathBuf, bool)> = vscode::find_workspace_settings(&f.probe.cwd)
        .into_iter()
        .map(|p| (p, false))
        .collect();
    out.extend(
        vscode::user_settings_files(f.probe)
            .into_iter()
            .map(|p| (p, true)),
    );
    out
}

/// Whether some settings file here points `go.alternateTools.gopls` at gvr's shim.
pub(super) fn alternate_gopls_is_gvr(f: &Facts) -> bool {
    settings_files(f).iter().any(|(p, _)| {
        vscode::read_settings(p)
            .ok()
            .and_then(|s| alternate(&s, "gopls"))
            .is_some_and(|v| points_at_shim(f, &v, "gopls"))
    })
}

/// `go.alternateTools.<tool>`, flat or nested.
fn alternate(s: &Map<String, Value>, tool: &str) -> Option<String> {
    s.get("go.alternateTools")
        .and_then(|o| o.get(tool))
        .or_else(|| s.get(&format!("go.alternateTools.{tool}")))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Whether a path in the settings is gvr's shim for `tool` (`~` expanded, as vscode-go
/// does).
fn points_at_shim(f: &Facts, value: &str, tool: &str) -> bool {
    let expanded = match (value.strip_prefix("~/"), f.probe.user_home()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(value),
    };
    let shim = f
        .probe
        .home
        .shims_dir()
        .join(format!("{tool}{}", std::env::consts::EXE_SUFFIX));
    super::path_check::same_dir(&expanded, &shim)
}

/// The settings a JSON object defines, flattened one level where vscode-go keys are
/// nested (`"go.toolsManagement": {"autoUpdate": …}`).
fn go_keys(s: &Map<String, Value>) -> Vec<String> {
    let mut keys = Vec::new();
    for (k, v) in s {
        if !k.starts_with("go.") {
            continue;
        }
        match v.as_object() {
            Some(obj) if !is_go_setting(k) => {
                keys.extend(obj.keys().map(|sub| format!("{k}.{sub}")));
            }
            _ => keys.push(k.clone()),
        }
    }
    keys
}

/// The right name for settings people often post that vscode-go never defined.
fn instead_of(key: &str) -> String {
    match key {
        "go.goplsArgs" => "use go.languageServerFlags".into(),
        "go.goplsUsePlaceholders" => {
            "use \"gopls\": {\"ui.completion.usePlaceholders\": true}".into()
        }
        k if k.starts_with("go.gopls") => "put gopls settings in the \"gopls\" object".into(),
        _ => "delete it".into(),
    }
}

fn check_file(f: &Facts, path: &Path, user: bool) -> Vec<Check> {
    let mut found = Vec::new();
    let settings = match vscode::read_settings(path) {
        Ok(s) => s,
        Err(e) => {
            found.push(Check::error(ID, e.to_string(), "fix the file by hand"));
            return found;
        }
    };
    let file = path.display();
    for key in go_keys(&settings) {
        if !is_go_setting(&key) {
            found.push(Check::warn(
                ID,
                format!("{file}: `{key}` is not a vscode-go setting"),
                format!("in {file}: {} (`{key}`)", instead_of(&key)),
            ));
        }
    }
    if let Some(obj) = settings.get("gopls").and_then(Value::as_object) {
        for key in obj.keys().filter(|k| !is_gopls_setting(k)) {
            found.push(Check::warn(
                ID,
                format!("{file}: `gopls.{key}` is not a gopls setting"),
                format!("in {file}: delete `{key}` from the \"gopls\" object"),
            ));
        }
    }
    let gvr_vscode = if user {
        vec!["vscode".to_string(), "--user".to_string()]
    } else {
        vec!["vscode".to_string()]
    };
    for tool in ["go", "gopls"] {
        if let Some(v) = alternate(&settings, tool) {
            if !points_at_shim(f, &v, tool) {
                found.push(
                    Check::error(
                        ID,
                        format!("{file}: go.alternateTools.{tool} is {v}, not gvr's shim"),
                        format!("gvr {}", gvr_vscode.join(" ")),
                    )
                    .with_action(Fix::Gvr(gvr_vscode.clone())),
                );
            }
        }
    }
    if let Some(goroot) = settings.get("go.goroot").and_then(Value::as_str) {
        let selected = f.toolchain.as_ref().and_then(|t| t.goroot.clone());
        if !selected.is_some_and(|r| super::path_check::same_dir(Path::new(goroot), &r)) {
            found.push(Check::error(
                ID,
                format!("{file}: go.goroot is {goroot}, not the Go selected here"),
                format!("delete the \"go.goroot\" line from {file}"),
            ));
        }
    }
    if settings.get("go.useLanguageServer") == Some(&Value::Bool(false)) {
        found.push(Check::error(
            ID,
            format!("{file}: go.useLanguageServer is false, so the editor runs no gopls"),
            format!("delete the \"go.useLanguageServer\" line from {file}"),
        ));
    }
    found
}

pub(super) fn vscode(f: &Facts) -> Check {
    let files = settings_files(f);
    if files.is_empty() {
        return Check::ok(
            ID,
            "no VS Code settings here or in your user settings; `gvr vscode` writes gvr's",
        );
    }
    let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    let found = files
        .iter()
        .flat_map(|(p, user)| check_file(f, p, *user))
        .collect();
    Check::merge(
        ID,
        format!("{} use only vscode-go's settings", names.join(" and ")),
        found,
    )
}

#[cfg(test)]
mod tests {
    use super::super::testkit::World;
    use super::super::{Facts, Status};
    use super::*;

    fn world() -> World {
        World::new().installed("1.24.11").pinned("1.24.11")
    }

    #[test]
    fn healthy_and_absent() {
        let w = world();
        assert_eq!(vscode(&Facts::gather(&w.probe())).status, Status::Ok);
        let shims = w.home.shims_dir();
        let p = w.cwd.join(".vscode/settings.json");
        crate::vscode::write(&p, &shims).unwrap();
        let c = vscode(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Ok, "{c:?}");
    }

    #[test]
    fn made_up_keys_and_gopls_sub_settings() {
        let w = world();
        w.write(
            ".vscode/settings.json",
            "{\n // hi\n \"go.goplsArgs\": [\"-rpc.trace\"],\n \"go.goplsUsePlaceholders\": true,\n \"gopls\": {\"ui.completion.usePlaceholders\": true, \"experimentalWorkspaceModule\": true},\n}\n",
        );
        let c = vscode(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(
            c.summary
                .contains("`go.goplsArgs` is not a vscode-go setting"),
            "{c:?}"
        );
        assert!(
            c.summary.contains("`gopls.experimentalWorkspaceModule`"),
            "{c:?}"
        );
        assert!(
            !c.summary.contains("usePlaceholders` is not a gopls"),
            "{c:?}"
        );
        assert!(c.fix.unwrap().contains("use go.languageServerFlags"));
    }

    #[test]
    fn tools_pointing_away_and_language_server_off() {
        let w = world().in_dir("sub");
        std::fs::create_dir_all(w.cwd.parent().unwrap().join(".vscode")).unwrap();
        std::fs::write(
            w.cwd.parent().unwrap().join(".vscode/settings.json"),
            "{\"go.alternateTools\": {\"gopls\": \"/home/u/go/bin/gopls\"}, \"go.useLanguageServer\": false, \"go.goroot\": \"/usr/local/go\"}",
        )
        .unwrap();
        let c = vscode(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(
            c.summary
                .contains("go.alternateTools.gopls is /home/u/go/bin/gopls"),
            "{c:?}"
        );
        assert!(c.summary.contains("go.useLanguageServer is false"), "{c:?}");
        assert!(c.summary.contains("go.goroot is /usr/local/go"), "{c:?}");
        assert_eq!(c.actions, [Fix::Gvr(vec!["vscode".into()])]);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn user_settings_file_is_found() {
        let w = world();
        let user = w.root.join("home/.config/Code/User/settings.json");
        std::fs::create_dir_all(user.parent().unwrap()).unwrap();
        std::fs::write(&user, "{\"go.alternateTools\": {\"go\": \"/usr/bin/go\"}}").unwrap();
        let c = vscode(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("Code/User/settings.json"), "{c:?}");
        assert_eq!(
            c.actions,
            [Fix::Gvr(vec!["vscode".into(), "--user".into()])]
        );
    }
}
