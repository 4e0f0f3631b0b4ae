//! Issue 3's journey on real SDKs: a go.work workspace pinned to 1.21.13 by
//! `.go-version`, used through the shims on PATH.

use std::fs;
use std::path::Path;

use crate::harness::{ok, StaticServer, World};

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
fn shims_run_the_pinned_sdk_with_the_workspace_env() {
    let server = StaticServer::serve(&crate::harness::mirror_dir());
    let w = World::new();
    for v in ["1.21.13", "1.22.10"] {
        ok(&w.gvr(&["install", v, "--mirror", &server.url]));
    }
    ok(&w.gvr(&["global", "1.22.10"]));

    // A workspace of two modules, one importing the other, pinned to 1.21.13.
    let ws = w.dir.path().join("proj");
    write(
        &ws.join("go.work"),
        "go 1.21\n\nuse (\n\t./app\n\t./lib\n)\n",
    );
    write(&ws.join(".go-version"), "1.21.13\n");
    write(
        &ws.join("lib/go.mod"),
        "module example.com/lib\n\ngo 1.21\n",
    );
    write(&ws.join("lib/greet.go"), "package lib\n\n// Greet says hello.\nfunc Greet(name string) string { return \"hello \" + name }\n");
    write(
        &ws.join("app/go.mod"),
        "module example.com/app\n\ngo 1.21\n\nrequire example.com/lib v0.0.0\n",
    );
    write(
        &ws.join("app/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/lib\"\n)\n\nfunc main() { fmt.Println(lib.Greet(\"gvr\")) }\n",
    );
    write(
        &ws.join("app/main_test.go"),
        "package main\n\nimport (\n\t\"testing\"\n\n\t\"example.com/lib\"\n)\n\nfunc TestGreet(t *testing.T) {\n\tif got := lib.Greet(\"x\"); got != \"hello x\" {\n\t\tt.Fatal(got)\n\t}\n}\n",
    );
    let sub = ws.join("app/sub");
    write(
        &sub.join("sub.go"),
        "package sub\n\n// N is a number.\nconst N = 1\n",
    );

    let go = |dir: &Path, args: &[&str]| {
        let out = w
            .cmd("go")
            .args(args)
            .current_dir(dir)
            .env("GOPROXY", "off")
            .output()
            .unwrap();
        ok(&out)
    };

    assert_eq!(
        go(&sub, &["version"]).trim(),
        "go version go1.21.13 linux/amd64"
    );
    let env = go(&sub, &["env", "GOROOT", "GOWORK", "GOCACHE"]);
    let lines: Vec<&str> = env.lines().collect();
    assert_eq!(
        lines[0],
        w.gvr_home().join("versions/1.21.13").display().to_string()
    );
    assert_eq!(lines[1], ws.join("go.work").display().to_string());
    let gocache_root = w.dir.path().join("cache/gocache");
    assert!(
        lines[2].starts_with(&gocache_root.display().to_string()),
        "GOCACHE {} not under {}",
        lines[2],
        gocache_root.display()
    );

    go(&ws.join("app"), &["build", "./..."]);
    let test = go(&ws.join("app"), &["test", "./..."]);
    assert!(test.contains("ok  \texample.com/app"), "{test}");
    go(&sub, &["build", "./..."]);

    // A go started from inside the workspace (here by a shell a tool ran; a test
    // building a temp module, a generator that `cd`s) in an unrelated module builds
    // that module: the shims leave go.work to go's own discovery. With the workspace's
    // GOWORK exported, go refuses ("current directory is contained in a module that is
    // not one of the workspace modules listed in go.work").
    write(
        &ws.join("app/execsh/main.go"),
        "package main\n\nimport (\n\t\"os\"\n\t\"os/exec\"\n)\n\nfunc main() {\n\tc := exec.Command(\"sh\", \"-c\", os.Args[1])\n\tc.Stdout, c.Stderr = os.Stdout, os.Stderr\n\tif c.Run() != nil {\n\t\tos.Exit(1)\n\t}\n}\n",
    );
    let other = w.dir.path().join("elsewhere/tool");
    write(
        &other.join("go.mod"),
        "module example.com/tool\n\ngo 1.21\n",
    );
    write(&other.join("main.go"), "package main\n\nfunc main() {}\n");
    let script = format!("cd {} && go build ./... && go env GOWORK", other.display());
    let nested = ok(&w
        .cmd("go")
        .args(["run", "./execsh", &script])
        .current_dir(ws.join("app"))
        .env("GOPROXY", "off")
        .output()
        .unwrap());
    assert_eq!(nested.trim(), "", "no go.work applies there");

    // gofmt through its shim: a badly formatted file is listed.
    write(&ws.join("lib/ugly.go"), "package lib\nfunc  Ugly( ) {}\n");
    let listed = ok(&w
        .cmd("gofmt")
        .args(["-l", "."])
        .current_dir(ws.join("lib"))
        .output()
        .unwrap());
    assert_eq!(listed.trim(), "ugly.go");

    // Go's own switching finds gvr's SDK on PATH (the go1.22.10 entry): no download.
    let switched = ok(&w
        .cmd("go")
        .arg("version")
        .current_dir(&sub)
        .env("GOTOOLCHAIN", "go1.22.10")
        .env("GOPROXY", "off")
        .output()
        .unwrap());
    assert_eq!(switched.trim(), "go version go1.22.10 linux/amd64");

    // A sibling directory without a pin runs the global default.
    let sibling = w.dir.path().join("other");
    fs::create_dir_all(&sibling).unwrap();
    assert_eq!(
        go(&sibling, &["version"]).trim(),
        "go version go1.22.10 linux/amd64"
    );
    let current = ok(&w
        .cmd(crate::harness::gvr_bin())
        .arg("current")
        .current_dir(ws.join("app"))
        .output()
        .unwrap());
    assert!(current.starts_with("1.21.13"), "{current}");
    assert!(
        current.contains(&ws.join(".go-version").display().to_string()),
        "{current}"
    );
}
