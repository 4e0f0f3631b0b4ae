//! Issue 2's journey: install from a real mirror, run the SDK, uninstall, reinstall
//! offline from the download cache.

use crate::harness::{ok, stderr, StaticServer, World};

#[test]
fn install_list_run_uninstall_and_reinstall_from_cache() {
    let mirror = crate::harness::mirror_dir();
    let server = StaticServer::serve(&mirror);
    let w = World::new();
    let m = ["--mirror", server.url.as_str()];

    let out = w.gvr(&[&["install", "1.21.13"][..], &m].concat());
    ok(&out);
    assert!(
        stderr(&out).contains("installed go1.21.13"),
        "{}",
        stderr(&out)
    );
    let out = w.gvr(&[&["install", "1.22"][..], &m].concat());
    ok(&out);
    assert!(
        stderr(&out).contains("installed go1.22.10"),
        "1.22 must resolve to 1.22.10: {}",
        stderr(&out)
    );

    // The mirror's archives were repacked from the toolchain modules, so they lack
    // api/ doc/ misc/ test/; and the real checksum database vouches for them.
    assert_eq!(
        ok(&w.gvr(&["list"])).lines().collect::<Vec<_>>(),
        [
            "1.22.10  (toolchain module: no api/, doc/, misc/, test/)",
            "1.21.13  (toolchain module: no api/, doc/, misc/, test/)"
        ]
    );
    for v in ["1.21.13", "1.22.10"] {
        assert_eq!(crate::harness::receipt(&w, v)["anchor"], "sumdb", "go{v}");
    }
    let remote = ok(&w.gvr(&[&["list-remote"][..], &m].concat()));
    assert_eq!(
        remote.lines().collect::<Vec<_>>(),
        ["1.24.11", "1.22.10", "1.22.6", "1.21.13"]
    );

    // The installed SDK is a working Go: it reports its version and builds a program.
    for (v, goroot) in [
        ("1.21.13", w.gvr_home().join("versions/1.21.13")),
        ("1.22.10", w.gvr_home().join("versions/1.22.10")),
    ] {
        let go = goroot.join("bin/go");
        let version = ok(&w.cmd(&go).arg("version").output().unwrap());
        assert_eq!(version.trim(), format!("go version go{v} linux/amd64"));
        let proj = w.dir.path().join(format!("hello-{v}"));
        std::fs::create_dir_all(&proj).unwrap();
        std::fs::write(proj.join("go.mod"), "module example.com/hello\n\ngo 1.21\n").unwrap();
        std::fs::write(proj.join("main.go"), "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from\", \"gvr\") }\n").unwrap();
        let run = w
            .cmd(&go)
            .args(["run", "."])
            .current_dir(&proj)
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=mod")
            .output()
            .unwrap();
        assert_eq!(ok(&run).trim(), "hello from gvr");
    }

    // Uninstall, then reinstall with the server gone: the verified archive is reused.
    ok(&w.gvr(&["uninstall", "1.21.13"]));
    assert!(!w.gvr_home().join("versions/1.21.13").exists());
    assert!(ok(&w.gvr(&["list"])).starts_with("1.22.10  (toolchain module"));
    let url = server.url.clone();
    drop(server);
    let out = w.gvr(&["install", "1.21.13", "--mirror", &url]);
    ok(&out);
    let go = w.gvr_home().join("versions/1.21.13/bin/go");
    assert_eq!(
        ok(&w.cmd(&go).arg("version").output().unwrap()).trim(),
        "go version go1.21.13 linux/amd64"
    );
}
