//! A mirror's `index.json` names each archive with `filename`, which gvr joins to the
//! mirror's base (and to cache paths): only a single plain file name is accepted.

use super::*;

/// Rewrites 1.22.6's `filename` in the mirror's index (nothing else changes: the sha256
/// and size still describe the real archive).
fn rename_in_index(m: &Mirror, to: &str) {
    let good = &m.archive("1.22.6").filename;
    let text = m
        .index_json()
        .replace(&format!("\"{good}\""), &serde_json::to_string(to).unwrap());
    assert!(text.contains(&serde_json::to_string(to).unwrap()));
    std::fs::write(m.path().join("index.json"), text).unwrap();
}

#[test]
fn index_file_names_that_are_not_a_single_file_name_are_refused() {
    let m = MirrorBuilder::new().sdk("1.22.6").build();
    let bytes = m.archive("1.22.6").bytes.clone();
    let name = m.archive("1.22.6").filename.clone();
    // Copies of the genuine archive wherever a hostile name would point, so a gvr that
    // follows the name finds something installable there.
    let parent = m.path().parent().unwrap().to_path_buf();
    let spot = tempfile::TempDir::new_in(&parent).unwrap();
    std::fs::write(spot.path().join(&name), &bytes).unwrap();
    std::fs::create_dir_all(m.path().join("sub")).unwrap();
    std::fs::write(m.path().join("sub").join(&name), &bytes).unwrap();
    let spot_name = spot
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let hostile = [
        format!("../{spot_name}/{name}"),
        spot.path().join(&name).display().to_string(),
        format!("sub/{name}"),
        format!("sub\\{name}"),
        "..".to_string(),
        String::new(),
        format!("{name}\n"),
    ];
    let s = serve(&m);
    for bad in &hostile {
        rename_in_index(&m, bad);
        for via_http in [false, true] {
            let mut g = Gvr::new();
            if via_http {
                g.mirror(s.url());
            } else {
                g.mirror(m.path());
            }
            let r = g.run(["install", "1.22.6"]);
            let label = format!("filename {bad:?} (http: {via_http})");
            assert_eq!(r.code, 1, "{label}: {r:?}");
            assert!(
                r.stderr.contains("not a plain file name") && r.stderr.contains("index"),
                "{label}: {}",
                r.stderr
            );
            assert!(Gvr::ls(&g.versions_dir()).is_empty(), "{label}");
            assert!(
                tree(&g.gvr_home())
                    .iter()
                    .all(|p| !p.ends_with(".sha256") || p.contains("sidecars/")),
                "{label}"
            );
        }
    }

    // Names go.dev really uses still work, including the old `-osx10.8` style.
    for good in [
        name.clone(),
        format!("go1.22.6.{}-{}-osx10.8.tar.gz", host_os(), host_arch()),
    ] {
        std::fs::write(m.path().join(&good), &bytes).unwrap();
        rename_in_index(&m, &good);
        let mut g = Gvr::new();
        g.mirror(m.path());
        g.run(["install", "1.22.6"]).ok();
        assert_installed(&g, "1.22.6");
    }
}
