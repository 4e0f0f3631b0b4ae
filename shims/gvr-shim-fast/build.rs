//! On Linux x86_64/aarch64 the fast shim is a freestanding static executable: no C
//! library, whose start-up alone costs about 0.3 ms per process on a VM.
fn main() {
    let cfg = |k: &str| std::env::var(format!("CARGO_CFG_TARGET_{k}")).unwrap_or_default();
    println!("cargo:rustc-check-cfg=cfg(freestanding)");
    // glibc targets only: musl's start files bring their own _start, and x32 numbers
    // its system calls differently.
    if cfg("OS") == "linux"
        && cfg("ENV") == "gnu"
        && cfg("POINTER_WIDTH") == "64"
        && matches!(cfg("ARCH").as_str(), "x86_64" | "aarch64")
    {
        println!("cargo:rustc-cfg=freestanding");
        for arg in [
            "-nostartfiles",
            "-nostdlib",
            "-static",
            "-no-pie",
            "-Wl,--gc-sections",
        ] {
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
