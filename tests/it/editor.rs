//! `gvr vscode` (workspace and user settings, --print, backups, idempotence),
//! `gvr sdk link|unlink` and `GVR_SDK_LINKS=1` with install/uninstall.

use std::fs;

use crate::support::cli::Gvr;
use crate::support::fixtures::MirrorBuilder;
use crate::support::sdk::install_fake;

const SETTINGS: &str = "// team settings\n{\n  \"editor.rulers\": [100], // keep\n  \"go.alternateTools\": {\n    \"dlv\": \"/opt/dlv\",\n  },\n}\n";

#[test]
fn vscode_merges_into_the_workspace_settings_once() {
    let g = Gvr::with_versions(&["1.22.6"]);
    g.write(".go-version", "1.22.6\n");
    let settings = g.write(".vscode/settings.json", SETTINGS);
    let sub = g.dir("pkg/sub");

    let printed = g.run_in(&sub, ["vscode", "--print"]).ok();
    assert!(printed.stdout.contains("// team settings"), "{printed:?}");
    assert_eq!(
        fs::read_to_string(&settings).unwrap(),
        SETTINGS,
        "--print wrote"
    );

    let run = g.run_in(&sub, ["vscode"]).ok();
    assert!(run.stderr.contains("wrote gvr's settings to"), "{run:?}");
    let text = fs::read_to_string(&settings).unwrap();
    for kept in [
        "// team settings",
        "\"editor.rulers\": [100], // keep",
        "\"dlv\": \"/opt/dlv\",",
    ] {
        assert!(text.contains(kept), "lost {kept}:\n{text}");
    }
    let shims = g.shims_dir();
    assert!(
        text.contains(&format!("\"gopls\": \"{}/gopls\"", shims.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("\"go\": \"{}/go\"", shims.display())),
        "{text}"
    );
    assert!(
        text.contains("\"go.toolsManagement.autoUpdate\": false"),
        "{text}"
    );
    assert_eq!(
        fs::read_to_string(g.work().join(".vscode/settings.json.gvr-backup")).unwrap(),
        SETTINGS
    );
    let again = g.run_in(&sub, ["vscode"]).ok();
    assert!(
        again.stderr.contains("already has gvr's settings"),
        "{again:?}"
    );
    assert_eq!(fs::read_to_string(&settings).unwrap(), text);
}

#[test]
fn vscode_creates_settings_at_the_workspace_root() {
    let g = Gvr::with_versions(&["1.22.6"]);
    g.write("proj/go.work", "go 1.22\n\nuse ./m\n");
    g.write("proj/m/go.mod", "module m\n");
    g.run_in(&g.dir("proj/m"), ["vscode"]).ok();
    let v: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(g.work().join("proj/.vscode/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(v["go.toolsManagement.checkForUpdates"], "off");
}

#[test]
fn vscode_user_settings_of_the_installed_product() {
    let g = Gvr::with_versions(&["1.22.6"]);
    // Only VSCodium is installed: its file is the one written.
    let codium = g.home().join(".config/VSCodium/User/settings.json");
    fs::create_dir_all(codium.parent().unwrap()).unwrap();
    fs::write(&codium, "{}").unwrap();
    g.run(["vscode", "--user"]).ok();
    assert!(fs::read_to_string(&codium)
        .unwrap()
        .contains("go.alternateTools"));
    assert!(!g.home().join(".config/Code/User/settings.json").exists());
    // With none, stable VS Code's; XDG_CONFIG_HOME is honoured as VS Code does.
    let mut g = Gvr::with_versions(&["1.22.6"]);
    let xdg = g.root().join("xdg");
    g.env("XDG_CONFIG_HOME", &xdg);
    g.run(["vscode", "--user"]).ok();
    assert!(xdg.join("Code/User/settings.json").is_file());
}

#[test]
fn vscode_refuses_a_file_it_cannot_parse() {
    let g = Gvr::with_versions(&["1.22.6"]);
    let p = g.write(".vscode/settings.json", "{ \"a\": ");
    let run = g.run(["vscode"]).fails();
    assert!(
        run.stderr.contains("is not valid JSON with comments"),
        "{run:?}"
    );
    assert_eq!(fs::read_to_string(p).unwrap(), "{ \"a\": ");
}

#[test]
fn sdk_link_and_unlink_touch_only_gvrs_links() {
    let g = Gvr::with_versions(&["1.22.6", "1.21.13"]);
    let sdk = g.home().join("sdk");
    fs::create_dir_all(sdk.join("go1.21.13/bin")).unwrap(); // golang.org/dl's own download
    let run = g.run(["sdk", "link"]).ok();
    assert!(
        run.stderr.contains("left") && run.stderr.contains("go1.21.13 alone"),
        "{run:?}"
    );
    assert_eq!(
        fs::read_link(sdk.join("go1.22.6")).unwrap(),
        g.version_dir("1.22.6")
    );
    assert!(sdk.join("go1.22.6/bin/go").is_file());
    g.run(["sdk", "link", "1.22.6"]).ok();
    let run = g.run(["sdk", "link", "1.19.1"]).fails();
    assert!(run.stderr.contains("go1.19.1 is not installed"), "{run:?}");
    g.run(["sdk", "unlink"]).ok();
    assert!(fs::symlink_metadata(sdk.join("go1.22.6")).is_err());
    assert!(sdk.join("go1.21.13/bin").is_dir());
}

#[test]
fn gvr_sdk_links_keeps_links_in_step_with_install_and_uninstall() {
    let m = MirrorBuilder::new().sdk("1.22.6").build();
    let mut g = Gvr::with_shims_on_path();
    g.mirror(m.path()).env("GVR_SDK_LINKS", "1");
    install_fake(&g.gvr_home(), "1.21.13");
    let sdk = g.home().join("sdk");
    g.run(["install", "1.22.6"]).ok();
    assert_eq!(
        fs::read_link(sdk.join("go1.22.6")).unwrap(),
        g.version_dir("1.22.6")
    );
    assert_eq!(
        fs::read_link(sdk.join("go1.21.13")).unwrap(),
        g.version_dir("1.21.13")
    );
    g.run(["uninstall", "1.22.6"]).ok();
    assert!(fs::symlink_metadata(sdk.join("go1.22.6")).is_err());
    assert!(sdk.join("go1.21.13").exists());
    // Without the variable nothing happens.
    g.unset("GVR_SDK_LINKS");
    g.run(["install", "1.22.6"]).ok();
    assert!(fs::symlink_metadata(sdk.join("go1.22.6")).is_err());
}
