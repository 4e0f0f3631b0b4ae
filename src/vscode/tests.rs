use super::*;

const COMMENTED: &str = r#"// my settings
{
    /* editor */
    "editor.fontSize": 14, // big
    "go.alternateTools": {
        "dlv": "/opt/dlv", // keep me
        "gopls": "/home/u/go/bin/gopls",
    },
    "go.toolsManagement.autoUpdate": true,
    "files.exclude": {"**/.git": true},
}
"#;

fn shims() -> PathBuf {
    PathBuf::from("/g/shims")
}

#[test]
fn merge_keeps_comments_order_and_other_keys() {
    let out = merge(Path::new("s.json"), COMMENTED, &shims()).unwrap();
    // Everything that was there and is not gvr's stays byte for byte.
    for kept in [
        "// my settings",
        "/* editor */",
        "\"editor.fontSize\": 14, // big",
        "\"dlv\": \"/opt/dlv\", // keep me",
        "\"files.exclude\": {\"**/.git\": true},",
    ] {
        assert!(out.contains(kept), "lost {kept:?}:\n{out}");
    }
    let v = parse_settings(Path::new("s.json"), &out).unwrap();
    assert_eq!(v["go.alternateTools"]["gopls"], "/g/shims/gopls");
    assert_eq!(v["go.alternateTools"]["go"], "/g/shims/go");
    assert_eq!(v["go.alternateTools"]["dlv"], "/opt/dlv");
    assert_eq!(v["go.toolsManagement.autoUpdate"], false);
    assert_eq!(v["go.toolsManagement.checkForUpdates"], "off");
    assert_eq!(v["editor.fontSize"], 14);
    // Order: editor.fontSize still first, files.exclude still after the tools.
    let at = |k: &str| out.find(k).unwrap();
    assert!(at("editor.fontSize") < at("go.alternateTools"));
    assert!(at("go.toolsManagement.autoUpdate") < at("files.exclude"));
    // Idempotent.
    assert_eq!(merge(Path::new("s.json"), &out, &shims()).unwrap(), out);
}

#[test]
fn merge_into_nothing_makes_a_settings_object() {
    let out = merge(Path::new("s.json"), "", &shims()).unwrap();
    let v = parse_settings(Path::new("s.json"), &out).unwrap();
    assert_eq!(v.len(), 3);
    assert_eq!(merge(Path::new("s.json"), &out, &shims()).unwrap(), out);
}

#[test]
fn every_written_key_is_in_the_schema() {
    let out = merge(Path::new("s.json"), "{}", &shims()).unwrap();
    let v = parse_settings(Path::new("s.json"), &out).unwrap();
    for (k, value) in &v {
        assert!(is_go_setting(k), "{k} is not a vscode-go setting");
        if let Some(obj) = value.as_object() {
            for sub in obj.keys() {
                assert!(
                    is_go_setting(&format!("{k}.{sub}")),
                    "{k}.{sub} is not in the schema"
                );
            }
        }
    }
}

#[test]
fn write_backs_up_and_is_idempotent() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join(".vscode/settings.json");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, COMMENTED).unwrap();
    let w = write(&p, &shims()).unwrap();
    assert!(w.changed);
    assert_eq!(
        std::fs::read_to_string(w.backup.unwrap()).unwrap(),
        COMMENTED
    );
    let again = write(&p, &shims()).unwrap();
    assert!(!again.changed);
    assert_eq!(again.backup, None);
    // A new file has no backup.
    let fresh = t.path().join("new/.vscode/settings.json");
    let w = write(&fresh, &shims()).unwrap();
    assert!(w.changed && w.backup.is_none());
}

#[test]
fn refuses_what_it_cannot_parse() {
    let err = merge(Path::new("s.json"), "{\"a\": ", &shims()).unwrap_err();
    assert!(matches!(err, VscodeError::Parse { .. }), "{err}");
    let err = merge(Path::new("s.json"), "[1]", &shims()).unwrap_err();
    assert!(matches!(err, VscodeError::NotAnObject { .. }), "{err}");
}
