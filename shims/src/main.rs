//! The shim behind `go`, `gofmt` and `gopls` (filled in by the selection issue).
fn main() {}
