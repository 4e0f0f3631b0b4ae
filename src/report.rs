//! Progress reporting. The library calls a [`Reporter`]; the CLI implements it with
//! indicatif bars on a terminal and plain lines otherwise.

/// Receives progress from long operations. All methods have no-op defaults so a caller
/// implements only what it shows.
pub trait Reporter: Send + Sync {
    /// A step begins (`"downloading go1.22.6.linux-amd64.tar.gz"`); `total` is its size
    /// in bytes when known.
    fn start(&self, _step: &str, _total: Option<u64>) {}
    /// `n` more bytes of the current step are done.
    fn advance(&self, _n: u64) {}
    /// The current step ended.
    fn finish(&self) {}
    /// Something the user should know that is not an error (waiting for a lock, a
    /// retry, an unverified archive).
    fn note(&self, _message: &str) {}
}

/// A reporter that shows nothing (`--quiet`, tests).
pub struct Silent;

impl Reporter for Silent {}
