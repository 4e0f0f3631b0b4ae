//! `gvr list`, `gvr uninstall` and `gvr list-remote`.

use super::*;

#[test]
fn list_shows_installed_versions_newest_first() {
    let g = Gvr::new();
    g.run(["list"]).ok();
    for v in ["1.21.13", "1.22.6", "1.23rc1", "1.22.10"] {
        sdk::install_fake(&g.gvr_home(), v);
    }
    let r = g.run(["list"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        ["1.23rc1", "1.22.10", "1.22.6", "1.21.13"],
        "{r:?}"
    );
    assert_eq!(r.stdout_lines().len(), 4, "one per line:\n{r:?}");

    let j = g.run(["list", "--json"]).ok().json();
    let arr = j.as_array().expect("a JSON array");
    let got: Vec<(String, String)> = arr
        .iter()
        .map(|e| {
            (
                bare(e["version"].as_str().unwrap()).to_string(),
                e["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = ["1.23rc1", "1.22.10", "1.22.6", "1.21.13"]
        .iter()
        .map(|v| {
            (
                v.to_string(),
                g.version_dir(v).to_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn list_json_is_an_empty_array_when_nothing_is_installed() {
    let g = Gvr::new();
    assert_eq!(g.run(["list", "--json"]).ok().json(), serde_json::json!([]));
}

#[test]
fn uninstall_removes_versions_and_rejects_unknown_ones() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6", "1.21.13"]).ok();
    sdk::install_fake(&g.gvr_home(), "1.22.10");
    g.run(["uninstall", "1.22.6"]).ok();
    assert!(!g.version_dir("1.22.6").exists());
    assert_eq!(
        listed_versions(&g.run(["list"]).ok().stdout),
        ["1.22.10", "1.21.13"]
    );
    g.run(["uninstall", "1.22.6"]).fails().stderr_has("1.22.6");
    g.run(["uninstall", "go1.21.13", "1.22.10"]).ok();
    assert_eq!(Gvr::ls(&g.versions_dir()), Vec::<String>::new());
    assert_tmp_clean(&g);
}

#[test]
fn list_remote_stable_all_prefix_and_json() {
    let m = MirrorBuilder::new()
        .sdks(&[
            "1.23rc1",
            "1.23beta1",
            "1.22.10",
            "1.22.6",
            "1.22.5",
            "1.21.13",
        ])
        .build();
    let s = serve(&m);
    let g = world(&s);
    let r = g.run(["list-remote"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        ["1.22.10", "1.22.6", "1.22.5", "1.21.13"],
        "{r:?}"
    );
    let r = g.run(["list-remote", "--all"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        [
            "1.23rc1",
            "1.23beta1",
            "1.22.10",
            "1.22.6",
            "1.22.5",
            "1.21.13"
        ],
        "{r:?}"
    );
    let r = g.run(["list-remote", "1.22"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        ["1.22.10", "1.22.6", "1.22.5"],
        "{r:?}"
    );
    let r = g.run(["list-remote", "1.23"]).ok();
    assert_eq!(listed_versions(&r.stdout), Vec::<String>::new(), "{r:?}");
    let r = g.run(["list-remote", "1.23", "--all"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        ["1.23rc1", "1.23beta1"],
        "{r:?}"
    );

    let j = g.run(["list-remote", "--all", "--json"]).ok().json();
    let got: Vec<(String, bool)> = j
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|e| {
            (
                bare(e["version"].as_str().unwrap()).to_string(),
                e["stable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("1.23rc1", false),
            ("1.23beta1", false),
            ("1.22.10", true),
            ("1.22.6", true),
            ("1.22.5", true),
            ("1.21.13", true)
        ]
        .map(|(v, s)| (v.to_string(), s))
    );
    let j = g.run(["list-remote", "--json", "1.21"]).ok().json();
    assert_eq!(j.as_array().unwrap().len(), 1, "{j}");
}

#[test]
fn list_remote_sorts_by_version_not_by_index_order() {
    let m = MirrorBuilder::new()
        .sdks(&["1.21.13", "1.22.6", "1.22.10", "1.9.2"])
        .build();
    let s = serve(&m);
    let g = world(&s);
    let r = g.run(["list-remote"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        ["1.22.10", "1.22.6", "1.21.13", "1.9.2"],
        "{r:?}"
    );
}
